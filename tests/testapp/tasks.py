"""Tasks only the test suite enqueues (discovered by djhuey in the consumer subprocess)."""

from huey.contrib.djhuey import task


@task(name="gan_testapp.explode")
def explode(message: str) -> None:
    raise RuntimeError(message)
