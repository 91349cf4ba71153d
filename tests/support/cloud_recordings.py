"""Recorded-shape answers of the cloud image APIs (Gemini generateContent, OpenAI Responses with the
image_generation tool, BFL Kontext submit/poll/download), shared by the integration tests that
mock them with respx."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
OPENAI_URL = "https://api.openai.com/v1/responses"
BFL_KONTEXT_MAX_URL = "https://api.bfl.ai/v1/flux-kontext-max"
BFL_POLLING_URL = "https://api.us1.bfl.ai/v1/get_result"
BFL_SAMPLE_URL = "https://delivery-us1.bfl.ai/results/ab/sample.png"


def png(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 140, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


# The image every recorded answer carries.
PNG = png()
PNG_B64 = base64.b64encode(PNG).decode()


# --- Gemini ------------------------------------------------------------------------------------
def gemini_success(text: str = "Here is your image: ") -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": text},
                        {
                            "inlineData": {"mimeType": "image/png", "data": PNG_B64},
                            "thoughtSignature": "EpIB",
                        },
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1290, "totalTokenCount": 1299},
        "modelVersion": "gemini-2.5-flash-image",
        "responseId": "deO6aLeTE4fYvdIPuIm_kQQ",
    }


def gemini_image_safety() -> dict[str, Any]:
    """HTTP 200 with the output withheld by the safety system."""
    return {
        "candidates": [
            {"content": {"parts": [{"text": "I can't create that."}]}, "finishReason": "IMAGE_SAFETY"}
        ]
    }


# --- OpenAI ------------------------------------------------------------------------------------
def openai_success() -> dict[str, Any]:
    return {
        "id": "resp_68abc",
        "object": "response",
        "status": "completed",
        "model": "gpt-5-nano-2025-08-07",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "Here is your fox.", "annotations": []}],
            },
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": PNG_B64,
                "output_format": "png",
                "size": "1536x1024",
            },
        ],
    }


def openai_moderation_blocked() -> dict[str, Any]:
    """The body of the HTTP 400 the safety system answers with."""
    return {
        "error": {
            "message": "Your request was rejected by the safety system.",
            "type": "image_generation_user_error",
            "param": None,
            "code": "moderation_blocked",
        }
    }


# --- BFL -----------------------------------------------------------------------------------------
def bfl_submitted(task_id: str = "b9b172a8", polling_url: str = f"{BFL_POLLING_URL}?id=b9b172a8") -> dict:
    return {"id": task_id, "polling_url": polling_url, "cost": 8.0}


def bfl_pending(task_id: str = "b9b172a8") -> dict[str, Any]:
    return {"id": task_id, "status": "Pending", "result": None, "progress": 0.4}


def bfl_ready(task_id: str = "b9b172a8", seed: int = 1234) -> dict[str, Any]:
    return {"id": task_id, "status": "Ready", "result": {"sample": f"{BFL_SAMPLE_URL}?sig=x", "seed": seed}}


def bfl_request_moderated(task_id: str = "t1") -> dict[str, Any]:
    return {"id": task_id, "status": "Request Moderated", "result": None}
