"""``LabelSource`` over HTTP (``requests``): downloads a carrier label from its ``label_url`` (the
logistics simulator serves them under ``/labels/...``) into a spooled temporary file, chunk by chunk,
refusing more than the category's maximum. Network errors, timeouts and 5xx/429 are retryable (the shared
retry policy, counted in ``external_api_requests_total{provider="logistics",operation="GetLabel"}``).
"""

from __future__ import annotations

import tempfile
from typing import IO

import requests

from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.observability.metrics import ServiceMetrics
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.file_errors import FileTooLarge

CHUNK = 64 * 1024


class _Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _classify(exc: BaseException) -> str:
    if isinstance(exc, _Status):
        if exc.status == 429:
            return "rate_limited"
        return "server_error" if exc.status >= 500 else "client_error"
    return "client_error" if isinstance(exc, FileTooLarge) else "network_error"


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, _Status):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, requests.RequestException)


class HttpLabelSource:
    def __init__(self, metrics: ServiceMetrics, retry: RetryPolicy, timeout: float) -> None:
        errors = ErrorPolicy(_classify, _retryable, lambda _e: None)
        self._call = ProviderCall("logistics", metrics, retry, errors)
        self._timeout = timeout
        self._session = requests.Session()

    def fetch(self, url: str, max_bytes: int) -> IO[bytes]:
        def attempt() -> IO[bytes]:
            spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (returned open)
            try:
                with self._session.get(url, stream=True, timeout=self._timeout) as resp:
                    if resp.status_code != 200:
                        raise _Status(resp.status_code)
                    size = 0
                    for chunk in resp.iter_content(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FileTooLarge(max_bytes)
                        spool.write(chunk)
            except BaseException:
                spool.close()
                raise
            spool.seek(0)
            return spool

        try:
            result: IO[bytes] = self._call("GetLabel", attempt)
        except FileTooLarge:
            raise
        except (_Status, requests.RequestException) as exc:
            raise ProviderError(
                "logistics",
                "LABEL_UNAVAILABLE",
                "The carrier's label could not be downloaded.",
                retryable=_retryable(exc),
                status=503,
            ) from exc
        return result
