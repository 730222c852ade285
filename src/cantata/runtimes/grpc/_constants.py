"""Names and defaults shared by the host and the workers (wire-level constants)."""

from __future__ import annotations

from typing import Final

# Call metadata (gRPC headers) of a worker's calls.
CLIENT_ID_HEADER: Final = "client-id"
TOKEN_HEADER: Final = "cantata-token"
FEATURES_HEADER: Final = "cantata-features"
FEATURES: Final = "cancel,ping,recipients"

# CloudEvent attribute keys (the same as autogen's, so events interoperate).
DATA_CONTENT_TYPE_ATTR: Final = "datacontenttype"
DATA_SCHEMA_ATTR: Final = "dataschema"
AGENT_SENDER_TYPE_ATTR: Final = "agagentsendertype"
AGENT_SENDER_KEY_ATTR: Final = "agagentsenderkey"
MESSAGE_KIND_ATTR: Final = "agmsgkind"
MESSAGE_KIND_PUBLISH: Final = "publish"
UNKNOWN_SENDER: Final = "unknown"
# cantata-only: the agents (``type/key``, one a line) the host assigned this event to on the
# receiving worker; present only when several workers serve one of the recipient types.
RECIPIENTS_ATTR: Final = "cantatarecipients"
TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"

# RpcRequest/RpcResponse metadata keys (cantata-only; other implementations ignore them).
CANCEL_METHOD: Final = "cantata.cancel"
PING_METHOD: Final = "cantata.ping"
MESSAGE_ID_META: Final = "cantata-message-id"
# The caller's payload_serialization_format: the callee answers in it when it can.
RESPONSE_FORMAT_META: Final = "cantata-response-format"
# The agents (``type/key``, one a line) whose handlers wait, through RPCs, for this request.
CHAIN_META: Final = "cantata-chain"
ERROR_TYPE_META: Final = "cantata-error-type"
ERROR_ARGS_META: Final = "cantata-error-args"
ERROR_TRACEBACK_META: Final = "cantata-error-traceback"

DEFAULT_MAX_MESSAGE_LENGTH: Final = 4 * 1024 * 1024  # gRPC's default receive limit
MAX_SEND_OPTION: Final = "grpc.max_send_message_length"
MAX_RECEIVE_OPTION: Final = "grpc.max_receive_message_length"

# A peer that stops answering is declared dead after keepalive_time + keepalive_timeout.
KEEPALIVE_TIME_MS: Final = 5_000
KEEPALIVE_TIMEOUT_MS: Final = 5_000

HOST_KEEPALIVE_OPTIONS: Final = (
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", KEEPALIVE_TIME_MS // 2),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.http2.min_sent_ping_interval_without_data_ms", KEEPALIVE_TIME_MS),
    # recent gRPC cores time a keepalive ping out by this, not by keepalive_timeout_ms
    ("grpc.http2.ping_timeout_ms", KEEPALIVE_TIMEOUT_MS),
)
# Workers do not ping by default: a host with gRPC's default policy (autogen's) answers
# pings more often than every 5 minutes with GOAWAY "too_many_pings". The host pings the
# workers instead; a worker that must notice a silent host sets keepalive options itself.
WORKER_KEEPALIVE_OPTIONS: Final[tuple[tuple[str, int], ...]] = ()
