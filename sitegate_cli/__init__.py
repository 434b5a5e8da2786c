"""The `sitegate` console command (`sitegate_cli.app:main`): one Typer app, a group per area.

Nothing is imported here, so `sitegate_cli.errors` can be used by every area's CLI module without
an import cycle through the app.
"""
