"""The configured case policy, built once per container from config."""

from nameko.extensions import DependencyProvider

from services.cases.policy import CasePolicy


class CasePolicyProvider(DependencyProvider):
    """Gives each worker the `CasePolicy` read from config at set-up (keys in
    `CasePolicy.from_config`)."""

    def setup(self) -> None:
        self.policy = CasePolicy.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> CasePolicy:
        return self.policy
