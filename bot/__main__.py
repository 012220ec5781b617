"""`python -m bot` is the same as `clinic-bot`."""

import sys

from bot.cli import main

sys.exit(main())
