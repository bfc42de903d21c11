from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.messages_delete_response_200 import MessagesDeleteResponse200
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    session_id: str,
    chat: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/v1/sessions/{session_id}/chats/{chat}".format(
            session_id=quote(str(session_id), safe=""),
            chat=quote(str(chat), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MessagesDeleteResponse200 | Problem | None:
    if response.status_code == 200:
        response_200 = MessagesDeleteResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[MessagesDeleteResponse200 | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    session_id: str,
    chat: str,
    *,
    client: AuthenticatedClient,
) -> Response[MessagesDeleteResponse200 | Problem]:
    """
    Args:
        session_id (str):
        chat (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MessagesDeleteResponse200 | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
        chat=chat,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    session_id: str,
    chat: str,
    *,
    client: AuthenticatedClient,
) -> MessagesDeleteResponse200 | Problem | None:
    """
    Args:
        session_id (str):
        chat (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MessagesDeleteResponse200 | Problem
    """

    return sync_detailed(
        session_id=session_id,
        chat=chat,
        client=client,
    ).parsed


async def asyncio_detailed(
    session_id: str,
    chat: str,
    *,
    client: AuthenticatedClient,
) -> Response[MessagesDeleteResponse200 | Problem]:
    """
    Args:
        session_id (str):
        chat (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MessagesDeleteResponse200 | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
        chat=chat,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    session_id: str,
    chat: str,
    *,
    client: AuthenticatedClient,
) -> MessagesDeleteResponse200 | Problem | None:
    """
    Args:
        session_id (str):
        chat (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MessagesDeleteResponse200 | Problem
    """

    return (
        await asyncio_detailed(
            session_id=session_id,
            chat=chat,
            client=client,
        )
    ).parsed
