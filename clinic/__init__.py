"""The clinic's domain: content, and later availability, scoring and aftercare plans."""
