# SPDX-License-Identifier: Apache-2.0
"""sessions.CloudClients.once for the unit tests' fake clients."""


class OnceAnswers:
    """A fake clients' ``once``: each question asked once, as the real."""

    def once(self, question, ask):
        answers = self.__dict__.setdefault('answers', {})
        if question not in answers:
            answers[question] = ask()
        return answers[question]
