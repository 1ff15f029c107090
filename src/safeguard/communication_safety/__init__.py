"""Communication safety: blur or show an image sent to or by a child's account.

A nudity classifier scores the decoded image offline, on the CPU; over a threshold the
answer is ``blur``, with a supportive prompt and help resources (``accounts.guidance``),
else ``show``. Nothing is stored, logged or reported: the platform only gets the answer.
NudeNet (AGPL-3.0) is the default classifier, an optional extra
(``safeguard-child-safety[nudity]``); another plugs in under the
``safeguard.nudity_classifiers`` entry point.
"""
