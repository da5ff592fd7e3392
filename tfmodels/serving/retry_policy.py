"""Retries with exponential backoff for requests that failed because the server was not there or not ready."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TypeVar

from tfmodels.serving.serving_error import ServingError

_Result = TypeVar("_Result")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
  """How often and how patiently a client tries again.

  Only retryable failures (`ServingError.retryable`: connection refused, UNAVAILABLE) are retried; a timeout, an
  unknown model or a bad input fails at once.

  Attributes:
    retries: attempts after the first one.
    initial_backoff: seconds before the first retry.
    multiplier: each further wait is this many times longer.
    max_backoff: the longest wait, in seconds.
  """

  retries: int = 3
  initial_backoff: float = 0.5
  multiplier: float = 2.0
  max_backoff: float = 8.0

  def __post_init__(self):
    if self.retries < 0 or self.initial_backoff < 0 or self.multiplier < 1 or self.max_backoff < 0:
      raise ValueError(f"Invalid {self}: retries and backoffs must be >= 0, the multiplier >= 1.")

  def delays(self) -> list[float]:
    """The waits before each retry, in seconds."""
    return [min(self.max_backoff, self.initial_backoff * self.multiplier ** attempt)
            for attempt in range(self.retries)]

  def call(self, request: Callable[[], _Result], sleep: Callable[[float], None] = time.sleep) -> _Result:
    """Returns `request()`, retrying it after each retryable `ServingError` until the retries are spent.

    Raises:
      ServingError: the last failure, saying how many attempts were made when there were several.
    """
    delays = self.delays()
    for delay in delays:
      try:
        return request()
      except ServingError as error:
        if not error.retryable:
          raise
        sleep(delay)
    try:
      return request()
    except ServingError as error:
      if not error.retryable or not delays:
        raise
      raise ServingError(f"{error} (gave up after {len(delays) + 1} attempts over {sum(delays):.3g} s)", error.kind,
                         error.server_message) from error
