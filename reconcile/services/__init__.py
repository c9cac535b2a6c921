"""Use cases: one function each, called alike by the API, the tasks and the CLI."""
