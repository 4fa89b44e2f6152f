"""Workshop mode: a room of couples on their own phones, one anonymous picture on
the projector. ``Workshops`` keeps workshops in the session store;
``WorkshopServer`` serves one of them (``python -m toolkit workshop serve``)."""

from __future__ import annotations

from .room import (
    K_MIN,
    Access,
    Member,
    RoomPicture,
    Workshop,
    WorkshopClosedError,
    WorkshopError,
    Workshops,
    room_picture,
)

__all__ = [
    "K_MIN",
    "Access",
    "Member",
    "RoomPicture",
    "Workshop",
    "WorkshopClosedError",
    "WorkshopError",
    "WorkshopServer",
    "Workshops",
    "room_picture",
]


def __getattr__(name: str):
    # The server pulls in Tornado; the store and the CLI's other commands do not need it.
    if name == "WorkshopServer":
        from .server import WorkshopServer

        return WorkshopServer
    raise AttributeError(name)
