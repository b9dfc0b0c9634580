"""The fake Discord refuses and reports what Discord does: embeds, components, ephemerals, pings."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.fake_discord import FakeDiscord


def test_fake_refuses_what_discord_refuses_in_messages() -> None:
    async def main() -> None:
        async with FakeDiscord(rate_limit=(1000, 1.0)) as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            messages = f"{server.api_base}/channels/{server.channel_id}/messages"

            async def post(body: dict) -> tuple[int, dict]:
                async with http.post(messages, json=body, headers=auth) as r:
                    return r.status, await r.json()

            # embed fields need a name and a value (BASE_TYPE_REQUIRED)
            status, body = await post({"embeds": [{"fields": [{"name": "", "value": "v"}]}]})
            assert (status, body["code"]) == (400, 50035)
            status, body = await post({"embeds": [{"fields": [{"name": "n", "value": ""}]}]})
            assert (status, body["code"]) == (400, 50035)
            # whitespace is no content
            status, body = await post({"content": " \n "})
            assert (status, body["code"]) == (400, 50006)

            def button(label: str = "b", custom_id: str = "c") -> dict:
                return {"type": 2, "style": 2, "label": label, "custom_id": custom_id}

            row = {"type": 1, "components": [button()]}
            for components in ([{"type": 1, "components": [button("x" * 81)]}],
                               [{"type": 1, "components": [button(custom_id="x" * 101)]}],
                               [{"type": 1, "components": [button(custom_id=str(i))
                                                           for i in range(6)]}],
                               [row] * 6):
                status, body = await post({"content": "x", "components": components})
                assert (status, body.get("code")) == (400, 50035), (components, body)
            status, _ = await post({"content": "x", "components": [row]})
            assert status == 200

    asyncio.run(main())


def test_ephemeral_messages_are_not_reachable_through_the_channel() -> None:
    """Discord never lists, fetches, edits, threads or replies to an ephemeral message
    through channel endpoints: they answer Unknown Message."""
    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            channel = f"{server.api_base}/channels/{server.channel_id}"
            msg = server.new_message(server.channel_id, server.users["bot"],
                                     {"content": "only you", "flags": 64})
            async with http.get(f"{channel}/messages", headers=auth) as r:
                assert [m["id"] for m in await r.json()] == []
            async with http.get(f"{channel}/messages/{msg['id']}", headers=auth) as r:
                assert r.status == 404 and (await r.json())["code"] == 10008
            async with http.patch(f"{channel}/messages/{msg['id']}", json={"content": "y"},
                                  headers=auth) as r:
                assert r.status == 404
            async with http.post(f"{channel}/messages/{msg['id']}/threads",
                                 json={"name": "t"}, headers=auth) as r:
                assert r.status == 404
            async with http.post(f"{channel}/messages", headers=auth, json={
                    "content": "re", "message_reference": {"message_id": msg["id"]}}) as r:
                assert r.status == 400

    asyncio.run(main())


def test_messages_ping_only_what_allowed_mentions_allow() -> None:
    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            messages = f"{server.api_base}/channels/{server.channel_id}/messages"
            member = server.users["member"]["id"]
            content = f"@everyone <@{member}> <@&{server.admin_role_id}>"
            async with http.post(messages, json={"content": content}, headers=auth) as r:
                pinged = await r.json()
            async with http.post(messages, headers=auth, json={
                    "content": content, "allowed_mentions": {"parse": []}}) as r:
                quiet = await r.json()
            assert pinged["mention_everyone"] and pinged["mention_roles"] == [
                server.admin_role_id] and [u["id"] for u in pinged["mentions"]] == [member]
            assert not quiet["mention_everyone"]
            assert quiet["mention_roles"] == [] and quiet["mentions"] == []

    asyncio.run(main())
