import asyncio


async def worker_a():
    for _ in range(3):
        await asyncio.sleep(0.001)


async def worker_b():
    for _ in range(3):
        await asyncio.sleep(0.001)


async def worker_c():
    for _ in range(3):
        await asyncio.sleep(0.001)


async def main():
    await asyncio.gather(asyncio.create_task(worker_a(), name="alpha"),
                         asyncio.create_task(worker_b(), name="beta"),
                         asyncio.create_task(worker_c(), name="gamma"))


asyncio.run(main())
print("ok")
