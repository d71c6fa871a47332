"""A handout-style run_q4.py, written from the handout's description (not the course's file): it does what the
course's script does with the zip's files, so a test can show that they fit together.

For each page in ../images: findLetters (q4.py) gives the boxes and bw (ink 0 on white 1); the boxes are grouped
into rows by their vertical extent and sorted left to right; each letter is cropped, padded to a square with white
(np.pad), shrunk to 32x32, transposed and flattened as the NIST36 rows are stored; the Q3 network saved by
run_q3.py in q3_weights.pickle classifies the rows with forward(x, params, 'layer1') and
forward(h, params, 'output', softmax) from nn.py. Prints "== <image> ==" and the page's text, line by line.

    cd python && python run_q4.py [IMAGES_DIR]       (default ../images)
"""
import os
import pickle
import string
import sys

import numpy as np
import skimage.io
import skimage.morphology
import skimage.transform
from scipy import ndimage
from skimage import img_as_float

sys.path.insert(0, os.getcwd())       # nn.py and q4.py of the folder it is run from, as the handout imports them
from nn import forward, softmax  # noqa: E402
from q4 import findLetters  # noqa: E402

LETTERS = np.array(list(string.ascii_uppercase) + [str(d) for d in range(10)])


def rows_of(bboxes):
    """Boxes [minr, minc, maxr, maxc] grouped into rows (top to bottom), each sorted left to right: taken in the
    order of their centres, a box whose centre lies within the current row's rows of pixels joins it (so a
    slanted line stays one row), any other starts the next row."""
    rows, top, bottom = [], None, None
    for box in sorted(bboxes, key=lambda b: (b[0] + b[2]) / 2):
        if rows and top <= (box[0] + box[2]) / 2 <= bottom:
            rows[-1].append(box)
            top, bottom = min(top, box[0]), max(bottom, box[2])
        else:
            rows.append([box])
            top, bottom = box[0], box[2]
    return [sorted(row, key=lambda b: b[1]) for row in rows]


def letter_row(bw, box):
    """The letter in box as a NIST36 row (1024,): ink thickened to a NIST-like pen, a square crop with a white
    margin (the letter about 26 of 32 pixels), 32x32, transposed, flattened; ink 0 on white 1."""
    minr, minc, maxr, maxc = box
    ink = bw[minr:maxr, minc:maxc] < 0.5
    side = max(ink.shape)
    crop = ~ndimage.binary_dilation(ink, skimage.morphology.disk(max(1, side // 25)))      # True on paper
    pad_r, pad_c = side - crop.shape[0], side - crop.shape[1]
    margin = side * 3 // 26
    square = np.pad(crop.astype(float), ((pad_r // 2 + margin, pad_r - pad_r // 2 + margin),
                                         (pad_c // 2 + margin, pad_c - pad_c // 2 + margin)), constant_values=1.0)
    small = skimage.transform.resize(square, (32, 32), anti_aliasing=True)
    return small.T.flatten()


def main():
    images = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "images")
    with open("q3_weights.pickle", "rb") as f:
        params = pickle.load(f)
    for name in sorted(os.listdir(images)):
        im1 = img_as_float(skimage.io.imread(os.path.join(images, name)))
        bboxes, bw = findLetters(im1)
        print(f"== {name} ==")
        for row in rows_of(list(bboxes)):
            x = np.array([letter_row(bw, box) for box in row])
            h = forward(x, params, "layer1")
            probs = forward(h, params, "output", softmax)
            print("".join(LETTERS[probs.argmax(axis=1)]))


if __name__ == "__main__":
    main()
