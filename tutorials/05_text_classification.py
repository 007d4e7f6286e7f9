"""Tutorial 5 — Text classification: TextVectorization, Embedding and a Bidirectional LSTM with masking.

Raw strings go in, a sentiment comes out. Torch has no string tensors, so text travels as NumPy
arrays of strings: `keras.Input(shape=(1,), dtype="string")` accepts them, `TextVectorization`
turns each string into a row of int64 token ids (0 pads short texts), and everything after it
is ordinary tensors. `Embedding(mask_zero=True)` creates a mask from those zeros, and the
recurrent layers skip the padded steps.

The reviews are generated from a few word lists, so the tutorial runs offline in seconds. They
are built so that word order matters: "not good" is negative and "not bad" is positive, which a
bag of words cannot tell apart but the LSTM can. To use real reviews, replace `make_reviews`
with any list of strings and labels (for example the raw IMDB texts).

    python tutorials/05_text_classification.py            # full run
    python tutorials/05_text_classification.py --quick    # a fast smoke run (what CI runs)
"""

from __future__ import annotations

import argparse

import numpy as np

import torchkeras as keras

POSITIVE = ["good", "great", "wonderful", "moving", "funny", "clever"]
NEGATIVE = ["bad", "boring", "dull", "awful", "silly", "slow"]
SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the ending", "the music"]
FILLERS = ["", "really", "truly", "quite", "honestly"]


def make_reviews(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` short reviews and their labels (1 = positive). A "not" flips the sentiment."""
    texts, labels = [], []
    for _ in range(count):
        positive = rng.random() < 0.5
        negated = rng.random() < 0.5
        # A negated review uses a word of the opposite sentiment: "not bad" is positive.
        words = NEGATIVE if positive == negated else POSITIVE
        parts = [rng.choice(SUBJECTS), "was", rng.choice(FILLERS)]
        parts += ["not"] if negated else []
        parts += [rng.choice(words)]
        if rng.random() < 0.3:
            parts += ["and", rng.choice(FILLERS), rng.choice(words)]
        texts.append(" ".join(part for part in parts if part).capitalize() + "!")
        labels.append(int(positive))
    return np.array(texts), np.array(labels, dtype="float32")


def build_model(vectorizer: keras.layers.TextVectorization) -> keras.Model:
    """Strings in, the probability of a positive review out."""
    inputs = keras.Input(shape=(1,), dtype="string")  # one review per row
    tokens = vectorizer(inputs)  # (batch, 12) int64 ids; 0 pads
    x = keras.layers.Embedding(vectorizer.vocabulary_size(), 16, mask_zero=True)(tokens)
    # The mask from Embedding reaches both directions of the LSTM: padding is skipped.
    x = keras.layers.Bidirectional(keras.layers.LSTM(16))(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="sentiment")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="fewer reviews and epochs, for smoke runs")
    args = parser.parse_args(argv)
    epochs = 4 if args.quick else args.epochs
    keras.utils.set_random_seed(5)

    rng = np.random.default_rng(5)
    x_train, y_train = make_reviews(800 if args.quick else 4000, rng)
    x_test, y_test = make_reviews(200 if args.quick else 1000, rng)
    print("a few reviews:", list(x_train[:3]), "labels:", y_train[:3])

    # The vocabulary is learned from the training texts with adapt(): lower-cased, punctuation
    # stripped, split on whitespace. Index 0 is padding and 1 the out-of-vocabulary token.
    vectorizer = keras.layers.TextVectorization(output_mode="int", output_sequence_length=12)
    vectorizer.adapt(x_train)
    print("vocabulary:", vectorizer.get_vocabulary()[:10], "...")
    print("'The movie was not bad!' ->", vectorizer(np.array(["The movie was not bad!"])).tolist())

    model = build_model(vectorizer)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:, None], y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=2)

    loss, accuracy = model.evaluate(x_test[:, None], y_test, verbose=0)
    print(f"test accuracy {accuracy:.3f}")
    samples = np.array([["The plot was not bad!"], ["The music was not good!"], ["This film was great!"]])
    scores = model.predict(samples, verbose=0)[:, 0]
    for text, score in zip(samples[:, 0], scores):
        print(f"{score:.2f}  {text}")
    return {"accuracy": accuracy, "scores": scores.tolist()}


if __name__ == "__main__":
    main()
