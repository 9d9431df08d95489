"""The one way the ETL talks HTTP: a session that retries transient failures, and a checked JSON/text getter."""
from __future__ import annotations

import json
import random
import re
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from etl.series import SourceError

# 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry; every other 5xx may
# (CDNs add 520-530 for an origin that is down or slow).
RETRY_STATUSES = (429, 500, *range(502, 505), *range(506, 600))
RETRIES = 3
BACKOFF_FACTOR = 0.5    # waits 0, 1, 2 s (+ up to half that in jitter) between the tries
RETRY_AFTER_MAX = 60.0  # a server asking for a longer pause gets this much: a refresh must not hang for hours
USER_AGENT = "ots-sti-monitor-etl (+https://github.com/; open-source STI dashboard)"


class _Retry(Retry):
    """urllib3's Retry, except that a malformed Retry-After (`1.5`, garbage) falls back to the normal backoff
    instead of failing the request at once."""

    def get_retry_after(self, response):  # type: ignore[override]
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None


# Connections kept open per host: etl.refresh makes as many requests at a time, each on a connection of its own.
CONNECTIONS = 8


def make_session(retries: int = RETRIES, backoff_factor: float | None = None) -> requests.Session:
    """Retries 429/5xx, timeouts and resets with exponential backoff and jitter, honouring Retry-After (capped)."""
    factor = BACKOFF_FACTOR if backoff_factor is None else backoff_factor
    retry = _Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=factor,
                   backoff_jitter=factor / 2, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                   respect_retry_after_header=True, retry_after_max=RETRY_AFTER_MAX, raise_on_status=False)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=CONNECTIONS)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def full_url(url: str, params: dict[str, Any] | None = None) -> str:
    """The URL as requested, query string included: what messages name."""
    return requests.Request("GET", url, params=params).prepare().url or url


def get_text(session: requests.Session, url: str, *, params: dict[str, Any] | None = None,
             timeout: float) -> str:
    """GET a body as text, or raise SourceError naming the URL and the reason (never a raw traceback)."""
    shown = full_url(url, params)
    retry = session.get_adapter(shown).max_retries
    body_retries = retry.total if isinstance(retry.total, int) else 0
    for attempt in range(body_retries + 1):
        try:
            response = session.get(url, params=params, timeout=timeout)
            break
        except requests.exceptions.ChunkedEncodingError:
            # The body broke off after the headers. urllib3 retries only up to the headers (requests reads the body
            # afterwards), so this one case is retried here, with the session's own backoff.
            if attempt == body_retries:
                raise SourceError(shown, "the connection broke off in the middle of the body (truncated), "
                                         "after retries") from None
            time.sleep(retry.backoff_factor * 2 ** attempt + random.random() * retry.backoff_jitter)
        except requests.exceptions.RequestException as exc:
            raise SourceError(shown, _failure(exc, timeout)) from None
    shown = response.url or shown
    if response.status_code != 200:
        tries = _retries_made(response)
        after = f" (after {tries} {'retry' if tries == 1 else 'retries'})" if tries else ""
        raise SourceError(shown, f"HTTP {response.status_code} {response.reason or ''}".strip() + after)
    if "charset=" not in response.headers.get("Content-Type", "").lower():
        # requests would guess ISO-8859-1 for text/* without a charset; JSON and the publishers' CSVs are UTF-8
        response.encoding = "utf-8-sig"
    return response.text


def get_json(session: requests.Session, url: str, *, params: dict[str, Any] | None = None, timeout: float) -> Any:
    text = get_text(session, url, params=params, timeout=timeout)
    shown = full_url(url, params)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.lstrip("\ufeff \r\n\t")
        if stripped[:1] == "<":
            raise SourceError(shown, "answered with an HTML page, not JSON (maintenance or error page?)") from None
        if not stripped:
            raise SourceError(shown, "answered with an empty body") from None
        raise SourceError(shown, f"answered with a body that is not valid JSON (truncated?): {exc.msg} "
                                 f"at character {exc.pos}") from None
    except (RecursionError, ValueError):  # nested too deep, or an integer of over 4,300 digits
        raise SourceError(shown, "answered with JSON Python cannot read (nested too deeply, or a number too long)") \
            from None


def _failure(exc: requests.exceptions.RequestException, timeout: float) -> str:
    """Why a request failed, in words: requests wraps what urllib3 gave up on, so look at the innermost reason."""
    reason = exc.args[0] if exc.args else None
    after = ""
    if isinstance(reason, MaxRetryError):
        reason, after = reason.reason, ", after retries"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"the secure connection failed (TLS/certificate): {_short(reason or exc)}"
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"the proxy refused or failed the request: {_short(reason or exc)}"
    if isinstance(reason, NewConnectionError):  # before timeouts: urllib3 derives it from ConnectTimeoutError
        why = re.search(r"\[Errno -?\d+\] ([^\"')]+)", str(reason))
        return f"could not connect to the server{f' ({why.group(1)})' if why else ''}{after}"
    if isinstance(exc, requests.exceptions.Timeout) or isinstance(reason, (ReadTimeoutError, ConnectTimeoutError)):
        return f"no answer within {timeout:g} s (STI_HTTP_TIMEOUT){after}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"the connection was reset or closed before an answer{after}"
    return f"request failed: {_short(exc)}"


def _retries_made(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) if retries is not None else 0


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "..."
