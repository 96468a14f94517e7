"""Redaction: the one helper every output channel uses to keep secrets out.

What is a secret (the rule lives in the Rust core, `rigging._native.is_secret_name`):

- the value of any parameter, field, dict key or header whose *name* looks like a secret
  (words such as key, token, secret, password, passwd, credential, authorization, cookie;
  ``API_KEY``, ``aws_secret_access_key``, ``azure_ad_token``, ``X-Api-Key``, ``Authorization``);
- the user-info of URLs (``https://user:PW@host``), the values of their query parameters
  with secret names (``?key=...``, ``&sig=...``), path segments shaped like keys
  (``/bot123:AA.../``, ``/sk-.../``, a webhook's path; see `paths`) and an endpoint URL's
  fragment (``api_base``, an HTTP spec's ``url``);
- known secret values (the viewed object's, `secrets_in_view`, and remembered ones),
  wherever they sit in a URL.

Values are masked where they stand as secrets whatever their length; free text is searched
for them from `MIN_SECRET_LENGTH` (4) characters on, and whatever a view masks is such a
value (`secret_values` finds it), so an echo of it is scrubbed too.

How it is kept out:

- identifiers leave secrets out (`rigging.get_identifier`, by the native formatter);
- reprs, dumps and span attributes show them as `MASK` (`redact_value`);
- free text (error messages, provider error bodies, log lines, span attributes) has the
  known secret *values* replaced by `MASK` (`redact_text`), and URL user-info masked.

Every generator remembers its secret values (`remember`), so that channels which do not know
the generator (logs, spans) can still scrub them (`redact_known`).

The modules, one concept each (this package re-exports their public names):

- `secret`: what a secret is (`is_secret_name`) and how one is shown (`MASK`, `REVEAL`);
- `store`: the values remembered process-wide (`remember`), below URL masking;
- `paths`: URL path segments shaped like keys, and known values in URLs (`mask_paths`,
  `secrets_in_view`);
- `text`: free text (`redact_text`, `mask_urls`, `mask_fragment`, `query_secrets`);
- `shapes`: containers spelled as text, ``(name, value)`` pairs and schema keywords;
- `mask`: masked copies of values, dumps, reprs and schemas (`redact_value`, `redact_schema`);
- `find`: the secret values inside values and schemas (`secret_values`, `schema_secrets`);
- `known`: the values remembered process-wide (`remember`, `redact_known`) and `RedactFilter`;
- `objects`, `scrub`, `exception`: `redact_exception` (and `redact_data`) and the walk behind
  them.
"""

from __future__ import annotations

from rigging._redact.exception import redact_data, redact_exception
from rigging._redact.find import schema_secrets, secret_values
from rigging._redact.known import (
    RedactFilter,
    environment_secrets,
    known_secrets,
    redact_known,
    remember,
    remember_params,
    remember_repeated,
)
from rigging._redact.mask import (
    redact_dump,
    redact_field,
    redact_repr_args,
    redact_schema,
    redact_value,
)
from rigging._redact.paths import credential_segment, mask_paths, path_secrets, secrets_in_view
from rigging._redact.secret import MASK, MIN_SECRET_LENGTH, REVEAL, is_secret_name, reveals
from rigging._redact.text import (
    fragment_secrets,
    mask_fragment,
    mask_urls,
    query_secrets,
    redact_text,
)

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "REVEAL",
    "RedactFilter",
    "credential_segment",
    "environment_secrets",
    "fragment_secrets",
    "is_secret_name",
    "known_secrets",
    "mask_fragment",
    "mask_paths",
    "mask_urls",
    "path_secrets",
    "query_secrets",
    "redact_data",
    "redact_dump",
    "redact_exception",
    "redact_field",
    "redact_known",
    "redact_repr_args",
    "redact_schema",
    "redact_text",
    "redact_value",
    "remember",
    "remember_params",
    "remember_repeated",
    "reveals",
    "schema_secrets",
    "secret_values",
    "secrets_in_view",
]
