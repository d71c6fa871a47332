"""hw5.ocr.image: any page array to grey in [0, 1] (luma, alpha over white paper, 8/16 bits), and image files."""
import numpy as np
import pytest
from PIL import Image
from skimage import io

from datafixture import jpeg_header, png_header
from hw5 import ocr
from hw5.ocr import score as ocr_score


def test_to_grey_uses_rec709_luma_on_8_bits():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], np.uint8)
    grey = ocr.to_grey(rgb)
    assert grey.dtype == np.float32 and grey.shape == (1, 4)
    np.testing.assert_allclose(grey, [[0.2125, 0.7154, 0.0721, 1.0]], atol=1e-6)


def test_to_grey_composites_alpha_over_white():
    rgba = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 51]]], np.uint8)
    np.testing.assert_allclose(ocr.to_grey(rgba), [[1.0, 0.0, 0.8]], atol=1e-6)   # 51 / 255 = 0.2 of black ink


def test_to_grey_scales_16_bits_and_keeps_floats():
    np.testing.assert_allclose(ocr.to_grey(np.array([[0, 32768, 65535]], np.uint16)), [[0.0, 0.5, 1.0]], atol=1e-4)
    np.testing.assert_allclose(ocr.to_grey(np.array([[0.25, 1.5, -0.1]])), [[0.25, 1.0, 0.0]])   # clipped
    np.testing.assert_allclose(ocr.to_grey(np.full((2, 2, 1), 51, np.uint8)), np.full((2, 2), 0.2), atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 4, 2), (4,), (2, 2, 2, 3)], ids=["two-channels", "1-d", "4-d"])
def test_bad_image_shapes_are_rejected(shape):
    with pytest.raises(ValueError, match="grey, RGB or RGBA"):
        ocr.to_grey(np.zeros(shape))


def test_read_image_names_missing_and_foreign_files(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.png: no such file"):
        ocr.read_image(str(tmp_path / "missing.png"))
    (tmp_path / "bad.jpg").write_text("not an image")
    with pytest.raises(ValueError, match=r"bad\.jpg: cannot read it as an image"):
        ocr.read_image(str(tmp_path / "bad.jpg"))


@pytest.mark.parametrize("width, height, mode", [(8000, 6000, (1, 0)), (12000, 14900, (8, 6)), (65535, 65535, (8, 6))],
                         ids=["48MP-1bit", "178.8MP-RGBA", "4GP-bomb"])
def test_an_image_over_40_megapixels_is_refused_from_its_header(tmp_path, width, height, mode):
    bomb = png_header(tmp_path / "bomb.png", width, height, mode)
    with pytest.raises(ValueError, match=r"bomb\.png: .* over the 40 MP limit") as error:
        ocr.read_image(str(bomb))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("header", [png_header, jpeg_header], ids=["png", "jpeg"])
def test_a_refused_image_is_named_with_the_size_its_header_claims(tmp_path, header):
    bomb = header(tmp_path / "bomb.img", 50000, 40000)                  # over Pillow's own limit too
    with pytest.raises(ValueError, match=r"bomb\.img: 50000 x 40000 pixels is over the 40 MP limit"):
        ocr.read_image(str(bomb))


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        ocr.read_image(str(tmp_path))


def test_read_image_applies_exif_orientation(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255                                          # white left half as stored
    exif = Image.Exif()
    exif[0x0112] = 6                                              # "rotate 90 degrees clockwise to view"
    Image.fromarray(stored).save(tmp_path / "photo.jpg", exif=exif, quality=95)
    image = ocr.read_image(str(tmp_path / "photo.jpg"))
    assert image.shape == (40, 20, 3)
    assert image[:15].min() > 200 and image[25:].max() < 50      # the stored left half is now on top


def test_read_image_converts_palette_images(tmp_path):
    Image.fromarray(np.full((4, 6, 3), 128, np.uint8)).convert("P").save(tmp_path / "p.png")
    image = ocr.read_image(str(tmp_path / "p.png"))
    assert image.shape == (4, 6, 3) and image.dtype == np.uint8


def test_png_with_transparent_paper(pool, page, page_text, tmp_path):
    rgba = np.dstack([page, np.where(page.mean(axis=2) < 128, 255, 0).astype(np.uint8)])
    rgba[..., :3][rgba[..., 3] == 0] = 0                     # transparent pixels are black underneath
    io.imsave(tmp_path / "page.png", rgba, check_contrast=False)
    lines, _ = ocr.recognise(io.imread(tmp_path / "page.png"), pool[1])
    assert ocr_score.char_accuracy(lines, page_text.split("\n")) >= 0.9


def test_16_bit_grey_png_is_read_as_16_bit(pool, page, page_text, tmp_path):
    grey16 = (page.mean(axis=2) * 257).astype(np.uint16)          # the page in 16-bit grey
    io.imsave(tmp_path / "page16.png", grey16, check_contrast=False)
    image = ocr.read_image(str(tmp_path / "page16.png"))
    assert image.dtype == np.uint16 and image.min() < 20000           # not clipped to white
    lines, _ = ocr.recognise(image, pool[1])
    assert ocr_score.char_accuracy(lines, page_text.split("\n")) >= 0.9
