"""A child: prints its arguments; with --nest starts a grandchild."""
import subprocess
import sys


def child_work(n):
    return sum(range(n))


if "--nest" in sys.argv:
    subprocess.run([sys.executable, __file__, "grandchild"], check=True)
print("child", " ".join(a for a in sys.argv[1:] if a != "--nest"), child_work(1000))
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 0)
