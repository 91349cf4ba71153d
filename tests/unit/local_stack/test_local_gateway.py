"""The local gateway over real HTTP, serving the functions of a small template."""

from __future__ import annotations

import json
import logging
import os
import socket
import textwrap
import time
from collections.abc import Iterator

import httpx
import pytest

from galleria_local.stack import LocalStack

# `make unit` leaves these out: a moto server, the gateway and function worker processes, seconds in all.
pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Globals:
  Function:
    Runtime: python3.13
    Timeout: 10
    Environment:
      Variables:
        GREETING: !Ref Greeting
        FILES_BUCKET: !Ref Files
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://app.example]
        AllowHeaders: [authorization, content-type]
        AllowMethods: [GET, POST]
        MaxAge: 600
  Files:
    Type: AWS::S3::Bucket
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: echo.handler
      Policies:
        - S3WritePolicy: {BucketName: !Ref Files}  # POST /files/{name}
      Events:
        Event: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/event/{proxy+}", Method: ANY}}
        Item: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/items/{id}", Method: GET}}
        Upload: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /upload, Method: POST}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /plain, Method: GET}}
        Cookies: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /cookies, Method: GET}}
        Boom: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /boom, Method: GET}}
        Files: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/files/{name}", Method: POST}}
        Impatient:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /impatient, Method: GET, TimeoutInMillis: 500}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: echo.handler
      Timeout: 1
      Events:
        Sleep: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /sleep, Method: GET}}
Outputs:
  ApiUrl:
    Value: !Sub https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}
  FilesBucket:
    Value: !Ref Files
"""

HANDLER = """
import base64
import json
import os
import time


def handler(event, context):
    route = event["routeKey"]
    if route == "GET /items/{id}":
        body = {"id": event["pathParameters"]["id"], "greeting": os.environ["GREETING"]}
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
    if route == "POST /upload":
        raw = event["body"] if event["isBase64Encoded"] else base64.b64encode(event["body"].encode()).decode()
        headers = {"content-type": event["headers"]["content-type"]}
        return {"statusCode": 200, "headers": headers, "body": raw, "isBase64Encoded": True}
    if route == "GET /plain":
        return {"hello": "world"}
    if route == "GET /cookies":
        headers = {"access-control-allow-origin": "https://elsewhere.example"}
        return {"statusCode": 204, "headers": headers, "cookies": ["a=1; Path=/", "b=2"]}
    if route == "GET /boom":
        raise RuntimeError("boom")
    if route == "POST /files/{name}":
        import boto3

        s3 = boto3.client("s3")
        key = event["pathParameters"]["name"]
        s3.put_object(Bucket=os.environ["FILES_BUCKET"], Key=key, Body=event["body"])
        return {"statusCode": 201, "body": ""}
    if route in ("GET /sleep", "GET /impatient"):
        time.sleep(5)
        return "too late"
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root = tmp_path_factory.mktemp("gateway")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (root / "echo").mkdir()
    (root / "echo" / "echo.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    local_stack = LocalStack(
        root / "template.yaml",
        port=0,
        state_dir=root / ".local-stack",
        seed_dev_team=lambda environment: type("Team", (), {"team_id": "team_1", "api_key": "key_1"})(),
    )
    with local_stack:
        yield local_stack


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=15) as http:
        yield http


def test_a_request_becomes_an_http_api_event(client: httpx.Client, stack: LocalStack) -> None:
    response = client.get("/event/a/b%20c?x=1&x=2", headers={"X-Trace": "t1", "Cookie": "session=s"})

    event = response.json()
    assert response.status_code == 200
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /event/{proxy+}"
    assert event["rawPath"] == "/event/a/b c"
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["pathParameters"] == {"proxy": "a/b c"}
    assert event["cookies"] == ["session=s"]
    assert event["headers"]["x-trace"] == "t1"
    assert event["headers"]["x-forwarded-port"] == str(stack.base_url.rsplit(":", 1)[1])
    context = event["requestContext"]
    assert context["domainName"] == "127.0.0.1"
    assert context["http"]["method"] == "GET"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert "body" not in event


def test_path_parameters_and_the_template_environment_reach_the_handler(client: httpx.Client) -> None:
    response = client.get("/items/gal_42")

    assert response.json() == {"id": "gal_42", "greeting": "hello"}


def test_a_binary_upload_and_download_round_trip(client: httpx.Client) -> None:
    payload = os.urandom(300 * 1024)

    response = client.post("/upload", content=payload, headers={"Content-Type": "image/png"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == payload


def test_a_plain_result_is_a_json_200(client: httpx.Client) -> None:
    response = client.get("/plain")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "world"}


def test_cookies_become_set_cookie_headers(client: httpx.Client) -> None:
    response = client.get("/cookies")

    assert response.status_code == 204
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]


def test_functions_reach_the_local_aws(client: httpx.Client, stack: LocalStack) -> None:
    response = client.post("/files/note.txt", content=b"kept", headers={"Content-Type": "text/plain"})

    stored = stack.aws.client("s3").get_object(Bucket=stack.outputs["FilesBucket"], Key="note.txt")
    assert response.status_code == 201
    assert stored["Body"].read() == b"kept"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/items/1"), ("GET", "/items")])
def test_no_route_is_a_404(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_a_handler_error_is_a_500(client: httpx.Client, stack: LocalStack) -> None:
    response = client.get("/boom")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert "RuntimeError: boom" in (stack.log_dir / "Echo.log").read_text()


def test_a_function_timeout_is_a_503(client: httpx.Client) -> None:
    started = time.monotonic()

    response = client.get("/sleep")

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert time.monotonic() - started < 3


def test_the_integration_timeout_caps_a_longer_function_timeout(client: httpx.Client) -> None:
    started = time.monotonic()

    response = client.get("/impatient")

    assert response.status_code == 503
    assert time.monotonic() - started < 2


def test_cors_preflights_are_answered_from_the_api_configuration(client: httpx.Client) -> None:
    response = client.options(
        "/items/1", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["access-control-max-age"] == "600"


def test_cors_headers_replace_the_functions_own(client: httpx.Client) -> None:
    allowed = client.get("/cookies", headers={"Origin": "https://app.example"})
    other = client.get("/cookies", headers={"Origin": "https://elsewhere.example"})

    assert allowed.headers.get_list("access-control-allow-origin") == ["https://app.example"]
    assert "access-control-allow-origin" not in other.headers


def test_a_body_over_the_limit_is_refused_before_it_is_read(stack: LocalStack) -> None:
    host, port = stack.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n")
        reply = connection.recv(4096).decode()

    assert reply.startswith("HTTP/1.1 413")


def test_each_request_gets_an_access_log_line(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    def logged() -> bool:
        return any(record.getMessage().startswith("GET /items/7 200 ") for record in caplog.records)

    with caplog.at_level(logging.INFO, logger="galleria_local.gateway"):
        client.get("/items/7")
        # The line is written after the answer is sent, as API Gateway's is: the client can be first.
        deadline = time.monotonic() + 5
        while not logged() and time.monotonic() < deadline:
            time.sleep(0.01)

    assert logged()


def test_outputs_point_at_the_local_gateway(stack: LocalStack) -> None:
    assert stack.outputs["ApiUrl"] == stack.base_url
    assert stack.outputs["FilesBucket"] == "galleria-files"
    assert json.loads(json.dumps(stack.outputs)) == stack.outputs
