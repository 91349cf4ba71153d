"""How the parts the local stack runs itself (HTTP API, layers, functions) appear to the template.

They are not created in moto, but `!Ref GalleriaApi` or `!Ref SharedLayer` must still resolve, and the
Outputs that name the API's public URL must point at the local gateway instead.
"""

from __future__ import annotations

from typing import Any

from galleria_local.intrinsics import ACCOUNT_ID, PSEUDO_PARAMETERS, REGION, PhysicalResource, Resolver
from galleria_local.provision import local_name
from galleria_local.template import Template

LOCAL_API_ID = "local"
# SAM's name for the HTTP API it creates when HttpApi events name no ApiId.
IMPLICIT_HTTP_API = "ServerlessHttpApi"


def declare_emulated_resources(template: Template, resolver: Resolver, api_endpoint: str) -> None:
    """Register what Ref/GetAtt return for the HTTP API(s), layers and functions."""
    api = PhysicalResource(ref=LOCAL_API_ID, attributes={"ApiId": LOCAL_API_ID, "ApiEndpoint": api_endpoint})
    for logical_id in [*template.resources_of_type("AWS::Serverless::HttpApi"), IMPLICIT_HTTP_API]:
        resolver.register(logical_id, api)
    for logical_id, layer in template.resources_of_type("AWS::Serverless::LayerVersion").items():
        content_uri = resolver.resolve(
            layer["Properties"]["ContentUri"], f"Resources.{logical_id}.ContentUri"
        )
        resolver.register(logical_id, PhysicalResource(ref=content_uri))
    for logical_id in template.resources_of_type("AWS::Serverless::Function"):
        name = local_name(logical_id)
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        resolver.register(logical_id, PhysicalResource(ref=name, attributes={"Arn": arn}))


def resolve_outputs(template: Template, resolver: Resolver, api_endpoint: str) -> dict[str, Any]:
    """The template's Outputs, with the deployed API URL (`https://{api}.execute-api...`) made local."""
    deployed_api_url = f"https://{LOCAL_API_ID}.execute-api.{REGION}.{PSEUDO_PARAMETERS['AWS::URLSuffix']}"
    outputs: dict[str, Any] = {}
    for name, output in template.outputs.items():
        if not resolver.includes(output, f"Outputs.{name}"):
            continue
        value = resolver.resolve(output["Value"], f"Outputs.{name}.Value")
        if isinstance(value, str) and value.startswith(deployed_api_url):
            value = api_endpoint + value.removeprefix(deployed_api_url)
        outputs[name] = value
    return outputs
