"""Use cases shared by views, jobs, the CLI and the API. They own commits."""
