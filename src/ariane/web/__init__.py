"""The web console (`ariane serve`): review and approve manifests, follow runs, read the evidence.

Server-rendered pages over the same library calls as the CLI; every action lands in the same
audit log. `app.create_app` builds the Starlette application.
"""
