"""考勤/工资有异议: a worker's objection to their days or pay of a month, not tied to a wage
sheet line (server/wages/confirm.py answers those), seen and answered by the site."""
