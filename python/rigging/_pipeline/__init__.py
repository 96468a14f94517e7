"""One implementation of chat and completion pipelines (public paths: `rigging.chat`,
`rigging.completion`)."""
