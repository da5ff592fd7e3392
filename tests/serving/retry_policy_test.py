"""Tests of tfmodels/serving/retry_policy.py."""

import pytest

from tfmodels.serving import serving_error
from tfmodels.serving.retry_policy import RetryPolicy
from tfmodels.serving.serving_error import ServingError


def _failing(kinds: list[str]):
  """A request that fails with these kinds of error, in turn, then answers "ok"."""
  calls = []

  def request():
    calls.append(len(calls))
    if len(calls) <= len(kinds):
      raise ServingError(f"failure {len(calls)}", kinds[len(calls) - 1])
    return "ok"

  return request, calls


def test_retryable_failures_are_retried_with_exponential_backoff():
  assert RetryPolicy(retries=5, initial_backoff=0.5, multiplier=2, max_backoff=3).delays() == [0.5, 1, 2, 3, 3]
  sleeps = []
  request, calls = _failing([serving_error.CONNECTION, serving_error.UNAVAILABLE])
  assert RetryPolicy(retries=3).call(request, sleep=sleeps.append) == "ok"
  assert len(calls) == 3 and sleeps == [0.5, 1.0]


def test_spent_retries_say_how_long_it_tried():
  sleeps = []
  request, calls = _failing([serving_error.UNAVAILABLE] * 5)
  with pytest.raises(ServingError, match=r"failure 3 \(gave up after 3 attempts over 1.5 s\)") as raised:
    RetryPolicy(retries=2).call(request, sleep=sleeps.append)
  assert raised.value.kind == serving_error.UNAVAILABLE and len(calls) == 3
  request, _ = _failing([serving_error.UNAVAILABLE])
  with pytest.raises(ServingError, match="^failure 1$"):  # no retries: the error as it is
    RetryPolicy(retries=0).call(request, sleep=sleeps.append)


@pytest.mark.parametrize("kind", [serving_error.NOT_FOUND, serving_error.BAD_REQUEST, serving_error.TIMEOUT])
def test_other_failures_are_not_retried(kind):
  request, calls = _failing([kind])
  with pytest.raises(ServingError, match="^failure 1$"):
    RetryPolicy(retries=3).call(request, sleep=lambda seconds: None)
  assert len(calls) == 1


def test_a_policy_must_make_sense():
  with pytest.raises(ValueError, match="retries and backoffs must be >= 0"):
    RetryPolicy(retries=-1)
