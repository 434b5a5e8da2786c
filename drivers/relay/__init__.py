"""USB-serial relay boards driving turnstile "open" inputs (LCUS-1/2/4/8, CH340)."""
