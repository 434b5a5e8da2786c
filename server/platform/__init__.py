"""Uploads to the regulators' real-name platform (issue 16): a durable queue in the database, one
job per object (a team, a worker on the project …), sent in the platform's dependency order
through platforms/national, with the platform's own words kept on each rejection."""
