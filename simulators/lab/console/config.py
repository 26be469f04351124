"""What the console knows about the lab: every part's name, kind and URL, the Kafka bootstrap servers and
how to get an admin token for the service.

``genai-demo up`` passes it in the environment of the console process (:data:`LAB_ENV`, a JSON document
built by :meth:`ConsoleConfig.to_env`; the admin token in :data:`TOKEN_ENV`, never on a command line nor in
the page). ``genai-demo console --port-offset N`` builds the same from the lab's default ports
(:meth:`ConsoleConfig.for_offset`). Inspect what a running console uses at ``GET /api/lab`` (URLs only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: the JSON description of the lab's parts (``ConsoleConfig.to_env``)
LAB_ENV = "CONSOLE_LAB"
#: an admin access token for the service's API (optional: minted from the issuer when absent or expired)
TOKEN_ENV = "CONSOLE_ADMIN_TOKEN"
#: the console's own default port (``genai-demo up`` adds its ``--port-offset``)
CONSOLE_PORT = 12180

PartKind = Literal[
    "service", "simulator", "kafka", "consumer", "prometheus", "alertmanager", "alert-receiver", "console"
]


#: the parts of ``genai-demo up`` the console shows, by name (every simulator besides: kind ``simulator``)
KINDS: dict[str, PartKind] = {
    "service": "service",
    "kafka": "kafka",
    "consumer": "consumer",
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "alert-receiver": "alert-receiver",
}


@dataclass(frozen=True)
class LabPart:
    """One process of the lab: ``kind`` says which API it serves (``simulator``: the ``/_sim/`` control
    API of ``docs/simulators-control-api.md``)."""

    name: str
    kind: PartKind
    url: str
    health_path: str

    @property
    def health_url(self) -> str:
        return self.url.rstrip("/") + self.health_path


@dataclass(frozen=True)
class ConsoleConfig:
    """The lab as the console sees it (see the module docstring)."""

    parts: tuple[LabPart, ...]
    kafka_bootstrap: str | None = None
    #: the identity simulator's URL: the console signs in there as the demo admin when it needs a token
    auth_issuer: str | None = None
    #: CA bundle for a ``--tls`` lab (``requests``' ``verify``)
    ca_bundle: str | None = None
    admin_token: str | None = field(default=None, repr=False)

    def part(self, name: str) -> LabPart | None:
        return next((p for p in self.parts if p.name == name), None)

    def of_kind(self, kind: PartKind) -> list[LabPart]:
        return [p for p in self.parts if p.kind == kind]

    @property
    def service(self) -> LabPart | None:
        found = self.of_kind("service")
        return found[0] if found else None

    @property
    def verify(self) -> bool | str:
        return self.ca_bundle or True

    def to_env(self) -> dict[str, str]:
        """The console process's environment: :data:`LAB_ENV` (URLs) and :data:`TOKEN_ENV` (the token)."""
        public = {
            "parts": [asdict(p) for p in self.parts],
            "kafka_bootstrap": self.kafka_bootstrap,
            "auth_issuer": self.auth_issuer,
            "ca_bundle": self.ca_bundle,
        }
        env = {LAB_ENV: json.dumps(public)}
        if self.admin_token:
            env[TOKEN_ENV] = self.admin_token
        return env

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/lab`` shows: URLs and kinds, no credential."""
        return {
            "parts": [asdict(p) for p in self.parts],
            "kafka_bootstrap": self.kafka_bootstrap,
            "auth_issuer": self.auth_issuer,
            "admin_token": "configured" if self.admin_token else "minted from the issuer",
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleConfig:
        """Read :data:`LAB_ENV` and :data:`TOKEN_ENV`; ``ValueError`` when the description is missing."""
        env = os.environ if env is None else env
        raw = env.get(LAB_ENV)
        if not raw:
            raise ValueError(f"{LAB_ENV} is not set (genai-demo up sets it; or use --port-offset)")
        data = json.loads(raw)
        parts = tuple(LabPart(**p) for p in data["parts"])
        return cls(
            parts,
            kafka_bootstrap=data.get("kafka_bootstrap"),
            auth_issuer=data.get("auth_issuer"),
            ca_bundle=data.get("ca_bundle"),
            admin_token=env.get(TOKEN_ENV) or None,
        )

    @classmethod
    def for_offset(
        cls, port_offset: int = 0, *, service_port: int = 8000, scheme: str = "http"
    ) -> ConsoleConfig:
        """A lab started by ``genai-demo up --port-offset N`` on its default ports (without
        ``--observability``; the Kafka bootstrap servers are read from the mock cluster's health)."""
        from simulators.lab.up import CONSUMER_METRICS_PORT, KAFKA_CONTROL_PORT
        from simulators.registry import PROVIDERS

        def url(port: int) -> str:
            return f"{scheme}://127.0.0.1:{port}"

        parts = [LabPart("service", "service", url(service_port + port_offset), "/health")]
        parts += [
            LabPart(name, "simulator", url(spec.default_port + port_offset), "/_sim/health")
            for name, spec in PROVIDERS.items()
        ]
        parts.append(
            LabPart("kafka", "kafka", f"http://127.0.0.1:{KAFKA_CONTROL_PORT + port_offset}", "/_sim/health")
        )
        parts.append(
            LabPart(
                "consumer", "consumer", f"http://127.0.0.1:{CONSUMER_METRICS_PORT + port_offset}", "/metrics"
            )
        )
        identity = next((p.url for p in parts if p.name == "identity"), None)
        return cls(tuple(parts), auth_issuer=identity)
