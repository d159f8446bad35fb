import pytest

from tests.providers import Providers


@pytest.fixture(scope="module")
def providers():
    started = Providers().start()
    yield started
    started.stop()


@pytest.fixture
def endpoints(providers):
    providers.reset()
    return providers
