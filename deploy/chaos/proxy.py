#!/usr/bin/env python3
"""proxy.py LISTEN_PORT TARGET_PORT: a TCP forwarder on 127.0.0.1, put by
`deploy/network.sh --chaos` between every assay process and anvil, so the chain's RPC can
be made unreachable (the proxy is killed, then started again on the same port) while
anvil keeps running."""
import asyncio
import socket
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main(listen, target):
    async def handle(cr, cw):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, uw), pipe(ur, cw))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", listen))
    server = await asyncio.start_server(handle, sock=sock, backlog=256)
    print("proxy 127.0.0.1:%d -> 127.0.0.1:%d" % (listen, target), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
