"""Errors a user can cause. The CLI prints them as one line and exits with code 2."""


class TinyedgeError(Exception):
    """A problem with the user's input or environment, with the fix in the message."""


class UnknownModelError(TinyedgeError):
    """An architecture or width that is not in the zoo."""


class DatasetError(TinyedgeError):
    """A dataset that is missing, corrupt or unknown."""


class CheckpointError(TinyedgeError):
    """A checkpoint that is missing, corrupt or does not match the request."""


class ModelError(TinyedgeError):
    """A model file that is corrupt, malformed or uses an op or option the runtime lacks."""
