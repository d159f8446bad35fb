"""A bare nameko service, the same-run baseline every RPC benchmark is compared with."""

from nameko.rpc import rpc


class EchoService:
    name = "echo"

    @rpc
    def echo(self, **data):
        return data
