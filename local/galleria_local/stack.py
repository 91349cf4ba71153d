"""The whole local stack: moto, the template's resources, a dev team, function pools, pollers, gateway."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from galleria_local.cors import http_api_cors
from galleria_local.emulated import LOCAL_API_ID, declare_emulated_resources, resolve_outputs
from galleria_local.emulators import EmulatorSuite, providers_without_keys
from galleria_local.functions import FunctionSpec, global_environment, read_functions
from galleria_local.gateway import Gateway
from galleria_local.iam.principals import role_sessions
from galleria_local.iam.roles import function_roles
from galleria_local.intrinsics import Resolver
from galleria_local.local_aws import LocalAws
from galleria_local.pollers import SqsPoller
from galleria_local.provision import provision
from galleria_local.routes import RouteTable
from galleria_local.runtime import MAX_WORKERS_PER_FUNCTION, FunctionPool
from galleria_local.template import Template, load_template

logger = logging.getLogger(__name__)


class DevTeam(Protocol):
    @property
    def team_id(self) -> str: ...

    @property
    def api_key(self) -> str: ...


DevTeamSeeder = Callable[[Mapping[str, str]], DevTeam]


def _seed_dev_team(environment: Mapping[str, str]) -> DevTeam:
    # Imported here: the seeder is application code (it imports the layer), owned by the app side.
    from galleria_local.devteam import seed_dev_team

    return seed_dev_team(environment)


class LocalStack:
    """Start with `start()` (or `with LocalStack(...) as stack:`); `base_url` then serves the API.

    `port=0` picks a free port. `seed_dev_team` receives the functions' global environment plus the
    local AWS and emulator variables and returns the team whose API key the banner shows. With
    `emulate_providers`, each provider whose key (GEMINI_API_KEY...) is not in this process's
    environment is served by a loopback emulator; `emulators` then maps provider to its base URL.
    With `enforce_iam` (the default) each function runs as a session of the role the template gives
    it, and the local AWS refuses what that role's policies do not allow, as AWS would; the seeder,
    the pollers and the admin CLI use the account's root credentials.

    One stack runs per process at a time (moto's state is per process), and moto's in-process
    `mock_aws` must not be active meanwhile: it would intercept the stack's own boto3 calls and
    reset its resources.
    """

    def __init__(
        self,
        template_path: Path | str = "template.yaml",
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        state_dir: Path | str = ".local-stack",
        state_file: Path | str | None = None,
        parameter_overrides: Mapping[str, str] | None = None,
        sqs_retry_delay_seconds: int | None = None,
        max_workers_per_function: int = MAX_WORKERS_PER_FUNCTION,
        seed_dev_team: DevTeamSeeder = _seed_dev_team,
        emulate_providers: bool = True,
        enforce_iam: bool = True,
    ) -> None:
        self.template_path = Path(template_path)
        self.host = host
        self.port = port
        self.log_dir = Path(state_dir) / "logs"
        self.state_file = Path(state_file) if state_file is not None else None
        self._parameter_overrides = dict(parameter_overrides or {})
        self._sqs_retry_delay_seconds = sqs_retry_delay_seconds
        self._max_workers_per_function = max_workers_per_function
        self._seed_dev_team = seed_dev_team
        self._emulate_providers = emulate_providers

        self.aws = LocalAws(enforce_iam=enforce_iam)
        self.functions: list[FunctionSpec] = []
        self.pools: dict[str, FunctionPool] = {}
        self.pollers: list[SqsPoller] = []
        self.outputs: dict[str, Any] = {}
        self.team_id = ""
        self.api_key = ""
        self._gateway: Gateway | None = None
        self._emulators = EmulatorSuite(())

    @property
    def emulators(self) -> dict[str, str]:
        """Provider (google, openai, bfl) -> the base URL of its emulator, for those emulated."""
        return dict(self._emulators.urls)

    @property
    def base_url(self) -> str:
        if self._gateway is None:
            raise RuntimeError("The local stack is not started")
        return self._gateway.base_url

    @property
    def route_count(self) -> int:
        return sum(len(spec.routes) for spec in self.functions)

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop everything that started, newest first; safe to call twice."""
        if self._gateway is not None:
            self._gateway.stop()
        for poller in self.pollers:
            poller.request_stop()
        for pool in self.pools.values():
            pool.close()  # kills invocations in flight, so pollers return promptly
        for poller in self.pollers:
            poller.join()
        self.pollers.clear()
        self.pools.clear()
        self._emulators.stop()  # after the pools: no function is calling them any more
        self.aws.stop()
        self._remove_state_file()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self) -> None:
        template = load_template(self.template_path)
        self._gateway = Gateway(self.host, self.port, api_id=LOCAL_API_ID)  # claims the port first
        self.aws.start()

        resolver = Resolver(template, self._parameter_overrides)
        declare_emulated_resources(template, resolver, self.base_url)
        provision(template, resolver, self.aws)
        self.functions = read_functions(template, resolver)
        self.outputs = resolve_outputs(template, resolver, self.base_url)

        if self._emulate_providers:
            self._emulators = EmulatorSuite(providers_without_keys(os.environ))
            self._emulators.start()
        environment = {**self.aws.environment(), **self._emulators.environment()}
        sessions = self._role_sessions(template, resolver)

        team = self._seed_dev_team({**global_environment(template, resolver), **environment})
        self.team_id, self.api_key = team.team_id, team.api_key

        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pools = {
            spec.logical_id: FunctionPool(
                spec,
                {**environment, **sessions.get(spec.logical_id, {})},
                self.log_dir,
                self._max_workers_per_function,
            )
            for spec in self.functions
        }
        sqs = self.aws.client("sqs")
        for spec in self.functions:
            for source in spec.sqs_sources:
                queue_url = sqs.get_queue_url(QueueName=source.queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
                poller = SqsPoller(
                    source,
                    queue_url,
                    self.pools[spec.logical_id],
                    sqs,
                    retry_delay_seconds=self._sqs_retry_delay_seconds,
                )
                poller.start()
                self.pollers.append(poller)

        routes = RouteTable(route for spec in self.functions for route in spec.routes)
        self._gateway.start(routes, self.pools, http_api_cors(template, resolver))
        self._write_state_file()

    def _role_sessions(self, template: Template, resolver: Resolver) -> dict[str, dict[str, str]]:
        """With IAM enforced, each function's role and the credentials of its session (the functions
        run with the root's otherwise)."""
        if not self.aws.enforce_iam:
            return {}
        roles = function_roles(template, resolver, [spec.logical_id for spec in self.functions])
        return role_sessions(self.aws, roles, {spec.logical_id: spec.name for spec in self.functions})

    def _write_state_file(self) -> None:
        if self.state_file is None:
            return
        state = {
            "baseUrl": self.base_url,
            "apiKey": self.api_key,
            "teamId": self.team_id,
            "awsEndpoint": self.aws.endpoint_url,
            "iamEnforced": self.aws.enforce_iam,
            "outputs": self.outputs,
            "emulators": self.emulators,
            "pid": os.getpid(),
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        partial.replace(self.state_file)

    def _remove_state_file(self) -> None:
        """Only our own: a second stack refused at start must not remove the running one's file."""
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            pid = json.loads(self.state_file.read_text(encoding="utf-8")).get("pid")
        except (OSError, ValueError):
            return
        if pid == os.getpid():
            self.state_file.unlink(missing_ok=True)
