// The playground page: draws the two chats from the server's snapshots and posts what
// the visitor does. No framework, no build step.
"use strict";

const state = { patient: null, stream: null };

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) console.warn(path, response.status, await response.text());
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "html") node.innerHTML = value; // already made safe by the server
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function drawMessage(chat, message) {
  const bubble = element("li", {
    class: message.from_bot ? "message bot" : "message user",
    "data-message-id": String(message.id),
  });
  if (!message.from_bot && chat === "staff" && message.sender) {
    bubble.append(element("div", { class: "sender", text: message.sender }));
  }
  if (message.document) {
    bubble.append(element("a", {
      class: "document", href: message.document.url, download: message.document.name,
      text: "📎 " + message.document.name,
    }));
  }
  if (message.contact) {
    bubble.append(element("div", {
      class: "contact",
      text: `👤 ${message.contact.first_name}  📞 ${message.contact.phone_number}`,
    }));
  }
  if (message.html) bubble.append(element("div", { class: "text", html: message.html }));
  if (message.edited) bubble.append(element("span", { class: "edited", text: "edited" }));
  for (const row of message.buttons) {
    const line = element("div", { class: "buttons" });
    for (const button of row) {
      if (button.url) {
        line.append(element("a", { class: "button", href: button.url, target: "_blank", text: button.text }));
        continue;
      }
      const tap = element("button", { type: "button", class: "button", text: button.text });
      tap.addEventListener("click", () =>
        post("/api/press", { chat, patient: state.patient, message_id: message.id, data: button.data }));
      line.append(tap);
    }
    bubble.append(line);
  }
  return bubble;
}

function drawPane(chat, view) {
  const pane = document.querySelector(`[data-pane="${chat}"]`);
  const list = pane.querySelector("[data-messages]");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...view.messages.map((message) => drawMessage(chat, message)));
  if (atBottom || list.dataset.drawn !== "yes") list.scrollTop = list.scrollHeight;
  list.dataset.drawn = "yes";
  const keyboard = pane.querySelector("[data-reply-keyboard]");
  if (keyboard) {
    keyboard.replaceChildren(...view.reply_keyboard.map((row) => {
      const line = element("div", { class: "buttons" });
      for (const button of row) {
        const tap = element("button", { type: "button", class: "button", text: button.text });
        tap.addEventListener("click", () => button.contact
          ? post("/api/contact", { patient: state.patient })
          : post("/api/send", { chat, patient: state.patient, text: button.text }));
        line.append(tap);
      }
      return line;
    }));
  }
}

function draw(snapshot) {
  document.getElementById("clock").textContent = snapshot.clock;
  const select = document.getElementById("patient");
  select.replaceChildren(...snapshot.patients.map((patient) => element("option", {
    value: String(patient.id),
    text: `${patient.name} (${patient.language})`,
  })));
  select.value = String(state.patient);
  document.querySelector('[data-pane="patient"] [data-title]').textContent = snapshot.patient.name;
  drawPane("patient", snapshot.patient);
  drawPane("staff", snapshot.staff);
}

function follow(patientId) {
  state.patient = patientId;
  localStorage.setItem("playground.patient", String(patientId));
  if (state.stream) state.stream.close();
  document.querySelector('[data-pane="patient"] [data-messages]').dataset.drawn = "";
  state.stream = new EventSource(`/api/events?patient=${patientId}`);
  state.stream.onmessage = (event) => draw(JSON.parse(event.data));
  state.stream.onerror = () => {
    // The browser reconnects by itself; a patient unknown after --reset starts over.
    if (state.stream.readyState === EventSource.CLOSED) follow(1001);
  };
}

function setUp() {
  for (const chat of ["patient", "staff"]) {
    const form = document.querySelector(`[data-pane="${chat}"] [data-composer]`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = form.elements.text.value.trim();
      if (!text) return;
      form.elements.text.value = "";
      post("/api/send", { chat, patient: state.patient, text });
    });
  }
  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", () => post("/api/clock", { to: button.dataset.clock }));
  }
  document.getElementById("patient").addEventListener("change", (event) =>
    follow(Number(event.target.value)));
  const dialog = document.getElementById("new-patient");
  document.getElementById("add-patient").addEventListener("click", () => { dialog.hidden = false; });
  document.getElementById("cancel-patient").addEventListener("click", () => { dialog.hidden = true; });
  dialog.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/patients", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.fromEntries(new FormData(dialog))),
    });
    dialog.hidden = true;
    if (response.ok) follow((await response.json()).id);
  });
  follow(Number(localStorage.getItem("playground.patient")) || 1001);
}

setUp();
