"""Where the broker and the database come from, for tests, benchmarks and `make run`.

In order: `AMQP_URI`/`MONGO_URI` from the environment; Docker (tests/docker-compose.yml)
when `docker info` and `docker compose version` both answer; else local processes:
RabbitMQ from Debian's `rabbitmq-server` and FerretDB built from `deploy/ferretdb`.
"""

from shared.stack.resolve import Stack, docker_available, local_stack, stack_from_env

__all__ = ["Stack", "docker_available", "local_stack", "stack_from_env"]
