"""The role's name ends where the title ends, not at the end of the sentence."""

from __future__ import annotations

import pytest

from daemon.detect.details import role_in


@pytest.mark.parametrize(
    ("text", "role"),
    [
        (
            "Nous vous invitons à un entretien pour le poste de Chef de projet que nous avons "
            "ouvert récemment dans notre équipe de Lyon.",
            "Chef de projet",
        ),
        ("Entretien pour le poste de Data Analyst chez Acme.", "Data Analyst"),
        (
            "Entrevista para el puesto de Analista de Datos que publicamos el mes pasado.",
            "Analista de Datos",
        ),
    ],
)
def test_role_is_bounded(text: str, role: str) -> None:
    assert role_in(text) == role
