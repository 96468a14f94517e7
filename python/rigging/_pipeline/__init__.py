"""One implementation shared by chat and completion pipelines.

Public paths are `rigging.chat` and `rigging.completion`.
"""
