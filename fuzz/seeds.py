"""Write the seed corpora of ``fuzz/corpus/``: tiny files generated here (no real media),
the project's own under its licence. ``python -m fuzz.seeds`` rewrites them."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import cast

import av
import numpy as np
from PIL import Image

from fuzz import CORPUS
from safeguard.banks.formats import FormatName, list_format
from safeguard.banks.formats.base import ExportItem
from safeguard.signals.vpdq import VPDQ

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "0123456789abcdef0123456789abcdef"


def _gradient(width: int, height: int, seed: int) -> Image.Image:
    """Smooth colour: a pattern PDQ gives quality to, in few bytes."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y + seed * 40) % 256], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8))


def _saved(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def images() -> dict[str, bytes]:
    picture = _gradient(16, 12, 0)
    frames = [_gradient(16, 12, seed) for seed in range(3)]
    return {
        "still.png": _saved(picture, "PNG"),
        "still.jpg": _saved(picture, "JPEG", quality=75),
        "still.bmp": _saved(picture.resize((6, 4)), "BMP"),
        "still.tiff": _saved(picture.convert("L").resize((6, 4)), "TIFF"),
        "animated.gif": _saved(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "animated.webp": _saved(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
    }


def _video(container: str, codec: str, pixel_format: str) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as target:
        stream = cast(av.VideoStream, target.add_stream(codec, rate=4))
        stream.width, stream.height, stream.pix_fmt = 32, 24, pixel_format
        for seed in range(6):
            rgb = np.asarray(_gradient(32, 24, seed))
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return out.getvalue()


def videos() -> dict[str, bytes]:
    return {
        "h264.mp4": _video("mp4", "libx264", "yuv420p"),
        "vp9.webm": _video("webm", "libvpx-vp9", "yuv420p"),
        "mpeg4.avi": _video("avi", "mpeg4", "yuv420p"),
    }


def bank_lists() -> dict[str, bytes]:
    vpdq = VPDQ.normalise(f"0,100,{PDQ},0.000\n4,90,{PDQ[::-1]},1.000")
    item = ExportItem(
        1, "7-e1", ("sexual",), (("md5", MD5), ("pdq", PDQ), ("url", "example.com/a/"))
    )
    video = ExportItem(2, None, (), (("vpdq", vpdq), ("video_md5", MD5)))
    return {
        f"{name.value}{list_format(name).suffix}": "".join(
            list_format(name).write([[item, video]])
        ).encode()
        for name in FormatName
    }


def ncmec_pages() -> dict[str, bytes]:
    item = ExportItem(1, "7-e1", ("A1",), (("md5", MD5), ("pdq", PDQ)))
    page = "".join(list_format(FormatName.NCMEC_XML).write([[item]]))
    return {
        "page.xml": page.replace(
            "</queryResult>", "<paging><next>/v2/n</next></paging>\n</queryResult>"
        ).encode()
    }


def vpdq_values() -> dict[str, bytes]:
    return {
        "lines.txt": f"0,100,{PDQ},0.000\n1,49,{PDQ},0.5".encode(),
        "threatexchange.json": f'["{PDQ},100,0.000", "{PDQ},80,1.250"]'.encode(),
    }


def urls() -> dict[str, bytes]:
    return {
        "plain.txt": b"https://www.Example.com:443/a/./b/../c?utm_source=x&b=2&a=%7e",
        "ipv6.txt": b"//[2001:db8::1]:8080/p%2fq/",
        "idna.txt": "b\u00fccher.example/\u00e4?q".encode(),
    }


SEEDS: dict[str, Callable[[], dict[str, bytes]]] = {
    "decode_image": images,
    "decode_video": videos,
    "bank_lists": bank_lists,
    "vpdq_parse": vpdq_values,
    "url_normalise": urls,
    "ncmec_page": ncmec_pages,
}


def main() -> None:
    for harness, make in SEEDS.items():
        folder = CORPUS / harness
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in make().items():
            (folder / name).write_bytes(data)
            print(f"{folder / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
