"""Which provider simulators exist, their default ports, and how to load them.

``PROVIDERS`` maps a name to a :class:`ProviderSpec`; a new provider adds one line here: Stripe 12111,
PayPal 12112, Twilio 12113, AWS (moto) 12115, identity (OAuth/OIDC issuer) 12116 (12114 is kept for a
carrier). ``plugin`` is a
``"module:Attr"`` path to a :class:`~simulators.kernel.provider.SimulatorProvider` subclass (or a factory
taking ``env=``). The two wiring hooks are ``"module:func"`` paths to ``func(sim_url, service_url, env) ->
dict[str, str]`` that ``genai-demo up`` (``simulators.lab``) calls: ``wire`` once the simulator is healthy,
before the service starts (register the service's webhook URL, return ``STRIPE_WEBHOOK_SECRET`` and the
like for the service's environment); ``wire_after_service`` once the service is healthy too, for wiring the
provider checks with the service at once (an SNS subscription is confirmed by the endpoint), returning
facts to print. :func:`load_provider` also accepts a plugin path directly, so
``genai-demo sim tests.simulators.kernel.example_provider:WidgetsProvider`` works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.kernel.provider import SimulatorProvider

WireFunc = Callable[[str, str, Mapping[str, str]], dict[str, str]]
ProviderFactory = Callable[..., "SimulatorProvider"]


@dataclass(frozen=True)
class ProviderSpec:
    """One registered provider simulator."""

    name: str
    default_port: int
    plugin: str
    wire: str | None = None
    description: str = ""
    wire_after_service: str | None = None


PROVIDERS: Mapping[str, ProviderSpec] = MappingProxyType(
    {
        "stripe": ProviderSpec(
            "stripe",
            12111,
            "simulators.stripe.provider:StripeProvider",
            wire="simulators.stripe.wiring:wire",
            description="Stripe API 2023-10-16: PaymentIntents, refunds, disputes, events, signed webhooks",
        ),
        "paypal": ProviderSpec(
            "paypal",
            12112,
            "simulators.paypal.provider:PayPalProvider",
            wire="simulators.paypal.wiring:wire",
            description="PayPal REST: OAuth, Orders v2, Payments v2, Webhooks v1",
        ),
        "twilio": ProviderSpec(
            "twilio",
            12113,
            "simulators.twilio.provider:TwilioProvider",
            description="Twilio Messages API 2010-04-01: magic numbers, delivery lifecycle, signed callbacks",
        ),
        "logistics": ProviderSpec(
            "logistics",
            12114,
            "simulators.logistics.provider:LogisticsProvider",
            wire="simulators.logistics.wiring:wire",
            description="EasyPost API v2: addresses, rates, labels, refunds, trackers, signed webhooks",
        ),
        "aws": ProviderSpec(
            "aws",
            12115,
            "simulators.aws.provider:AwsProvider",
            description="AWS SES, SNS, S3 on moto: signed SNS deliveries, SES mailbox-simulator feedback",
            wire_after_service="simulators.lab.wiring:wire_ses_feedback",
        ),
        "identity": ProviderSpec(
            "identity",
            12116,
            "simulators.identity.provider:IdentityProvider",
            description="OAuth 2.0/OIDC issuer: discovery, rotating JWKS, client-credentials and password",
            wire_after_service="simulators.identity.wiring:wire_after_service",
        ),
    }
)


def import_object(path: str) -> Any:
    """Import ``"package.module:Attr"`` (dots after the colon walk attributes)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:Attr', got {path!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_spec(name_or_path: str) -> ProviderSpec:
    """The registered spec for a name, or a synthetic spec for a ``module:Attr`` plugin path."""
    spec = PROVIDERS.get(name_or_path)
    if spec is not None:
        return spec
    if ":" not in name_or_path:
        known = ", ".join(sorted(PROVIDERS)) or "none registered yet"
        raise LookupError(
            f"unknown provider {name_or_path!r} (known: {known}; or give a 'module:Class' path)"
        )
    factory = import_object(name_or_path)
    name = str(getattr(factory, "name", name_or_path.rpartition(":")[2].lower()))
    port = int(getattr(factory, "default_port", 0) or 0)
    return ProviderSpec(
        name=name,
        default_port=port,
        plugin=name_or_path,
        description=str(getattr(factory, "description", "")),
    )


def provider_factory(name_or_path: str) -> ProviderFactory:
    """The class/factory behind a provider name or plugin path (imported, not called)."""
    factory = import_object(resolve_spec(name_or_path).plugin)
    if not callable(factory):
        raise TypeError(f"{name_or_path!r} is not a provider class or factory")
    return factory  # type: ignore[no-any-return]


def load_provider(name_or_path: str, env: Mapping[str, str] | None = None) -> SimulatorProvider:
    """A new provider instance for a registered name or a ``module:Class`` path, given ``env``."""
    from simulators.kernel.provider import SimulatorProvider

    provider = provider_factory(name_or_path)(env=dict(env or {}))
    if not isinstance(provider, SimulatorProvider):
        raise TypeError(f"{name_or_path!r} did not build a SimulatorProvider")
    return provider


def load_wire(name: str, *, after_service: bool = False) -> WireFunc | None:
    """The ``wire`` (or, with ``after_service``, the ``wire_after_service``) function of a registered
    provider, or ``None`` if it has none."""
    return wire_function(PROVIDERS[name], after_service=after_service)


def wire_function(spec: ProviderSpec, *, after_service: bool = False) -> WireFunc | None:
    """The imported ``wire`` (or ``wire_after_service``) hook of ``spec``, or ``None``."""
    name = spec.name
    path = spec.wire_after_service if after_service else spec.wire
    if path is None:
        return None
    func = import_object(path)
    if not callable(func):
        raise TypeError(f"wiring of {name!r} is not callable")
    return func  # type: ignore[no-any-return]
