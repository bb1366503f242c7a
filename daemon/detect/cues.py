"""The words and phrases that say what a message is about, in English, German, French, Spanish.

Each cue is a compiled pattern over lower-cased text. They name situations (an interview is
being arranged, it was moved, called off), not any one sender's template. The cues that rule a
mail out (a rejection, a newsletter) are in `negatives`.
"""

from __future__ import annotations

import functools
import re

from daemon.detect.fastre import Pattern


def any_of(*phrases: str) -> Pattern:
    """One pattern that matches any of `phrases`, case-insensitive, line by line."""
    return Pattern("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE | re.MULTILINE)


INTERVIEW = any_of(
    r"\binterview(?:s|ing|ers?)?\b",
    r"\bphone[ -]screen",
    r"\bscreening call",
    r"\btechnical screen",
    r"\brecruiter (?:call|screen|chat)",
    r"\bon-?site\b",
    r"\bfinal round",
    r"\bpanel\b",
    r"\bhiring manager (?:call|chat|conversation|interview|round)",
    r"\bintro(?:ductory)? call",
    r"\bcoding (?:challenge review|session|exercise review)",
    r"\bsystem design\b",
    r"\bpair(?:ing)? (?:programming )?session",
    r"\bcase study (?:interview|session)",
    r"vorstellungsgespr[äa]ch",
    r"bewerbungsgespr[äa]ch",
    r"kennenlerngespr[äa]ch",
    # a round of a hiring process: "Zweitgespräch", "Auswahlgespräch", "Abschlussgespräch"
    r"erstgespr[äa]ch",
    r"\b(?:zweit|dritt|final|auswahl|abschluss|einstellungs|fach|einzel)gespr[äa]ch",
    r"\bkennenlern(?:en|termin|call)\b",
    r"\b(?:erstes|pers[öo]nliches|zweites) gespr[äa]ch",
    r"telefoninterview",
    r"videointerview",
    r"fachgespr[äa]ch",
    r"\bentretien",
    r"\bentrevue",
    r"\bentrevista",
)
# Words for a meeting that is an interview only when the mail is about a job.
MEETING = any_of(
    r"\b(?:video |phone |zoom |teams |quick |short |intro |introductory |initial |first )?(?:call|chat|conversation)\b",
    r"\bmeeting\b",
    r"\b(?:portfolio|case|code|design) review\b",
    r"\bsuperday\b",
    r"\bassessment cent(?:er|re)\b",
    r"\b\d{2,3}[ -]?min(?:ute)?s?\b",
    r"\bgespr[äa]ch\b",
    r"\btelefonat\b",
    r"\btermin\b",
    r"\bvideocall\b",
    r"\bappel\b",
    r"\b[ée]change\b",
    r"\brendez-vous\b",
    r"\bvisio(?:conf[ée]rence)?\b",
    r"\bllamada\b",
    r"\breuni[óo]n\b",
    r"\bvideollamada\b",
    r"\bcharla\b",
    r"\bsee you (?:tomorrow|on|at|then|next)\b",
    r"\b(?:speak|talk) (?:with|to) (?:me|us|[A-Z])",
    r"\byou(?:'ll| will) (?:meet|speak|talk)\b",
    r"\b(?:office visit|visit (?:us|our office)|come (?:in|by) (?:to|at))\b",
    r"\bwir sehen uns\b",
    r"\b(?:à|a) (?:demain|bientôt)\b",
    r"\bnos vemos\b",
)
# Job titles: "Senior Backend Engineer", "Werkstudent (m/w/d)", "Chef de projet (H/F)".
JOB_TITLE = any_of(
    r"\b(?:engineer|developer|manager|analyst|designer|scientist|architect|modell?er|consultant|"
    r"specialist|coordinator|director|intern(?:ship)?|accountant|administrator|technician|"
    r"researcher|editor|writer|planner|strategist|officer|associate|producer|programmer|"
    r"merchandiser|buyer)s?\b",
    r"\bhead of\b",
    r"\b(?:entwickler|ingenieur|leiter|berater|referent|sachbearbeiter|werkstudent|praktikum|"
    r"konstrukteur|redakteur|disponent|kaufmann|kauffrau)(?:in)?\b",
    r"\((?:m/w/d|w/m/d|m/f/d|h/f|f/h)\)",
    r"\b(?:ingénieur|développeu(?:r|se)|chef de projet|chargée? de|responsable|stage)\b",
    r"\b(?:ingenier[oa]|desarrollador[a]?|analista|gerente|jef[ea] de|becario|prácticas)\b",
)
JOB_CONTEXT = any_of(
    JOB_TITLE.pattern,
    r"\bpeople (?:&|and) culture\b",
    r"\bpeople team\b",
    r"\bhuman resources\b",
    r"\bressources humaines\b",
    r"\brecursos humanos\b",
    r"\bnext steps?\b",
    r"\bposition\b",
    r"\brole\b",
    r"\bopening\b",
    r"\bcandida(?:te|cy|ture|tura|to|ta|t)\b",
    r"\bapplication\b",
    r"\bapplied\b",
    r"\brecruit(?:er|ing|ment)?\b",
    r"\btalent\b",
    r"\bhiring\b",
    r"\bjob\b",
    r"\bcareers?\b",
    r"\bvacan(?:cy|te)\b",
    r"\bstelle\b",
    r"\bbewerbung",
    r"\bkandidat",
    r"\bpersonal(?:abteilung)?\b",
    r"\bposte\b",
    r"\brecrutement\b",
    r"\bpuesto\b",
    r"\bselecci[óo]n\b",
    r"\breclutamiento\b",
    r"\bresume\b",
    r"\bcv\b",
    r"\bportfolio\b",
    r"\blebenslauf\b",
    r"\bzeugnisse?\b",
    r"\bbewerbungsunterlagen\b",
    r"\br[ée]f[ée]rences\b",
    r"\breferencias\b",
    r"\bopportunit(?:y|ies)\b",
    r"\bhiring manager\b",
    r"\bfinal round\b",
)
ATS_DOMAINS = (
    "greenhouse", "lever", "workday", "myworkday", "ashby", "ashbyhq", "smartrecruiters",
    "icims", "goodtime", "calendly", "jobvite", "bamboohr", "personio", "recruitee", "workable",
    "teamtailor", "successfactors", "taleo", "breezy", "jazzhr", "hirebridge", "gem", "paradox",
    "modernloop", "prelude", "rippling", "pinpoint", "join", "softgarden", "onlyfy", "welcome",
    "myworkdayjobs", "myworkdaysite", "applytojob", "recruiterbox",
)  # fmt: skip


@functools.lru_cache(maxsize=4096)  # pure, and asked about the same few names again and again
def is_ats_domain(domain: str) -> bool:
    """A mail host of an applicant-tracking or scheduling service ("myworkday-mail.com")."""
    parts = re.split(r"[.-]", domain.lower())
    return any(part in ATS_DOMAINS for part in parts[:-1])


CANCELLED = any_of(
    r"\bcancel(?:l)?(?:ed|ing|ation)?\b",
    r"\bcall(?:ed)? off\b",
    r"\b(?:interview|call|meeting|it)\b[^.\n]{0,60}\bis (?:now )?off\b",
    r"will (?:no longer|not) take place",
    r"\bno longer (?:able to|be able to) (?:meet|proceed with the interview)",
    r"\babgesagt\b",
    r"\babsagen\b",
    r"\bstorniert\b",
    r"\bentf[äa]llt\b",
    r"findet nicht statt",
    r"\bannul(?:é|ée|er|ation)\b",
    r"n'aura pas lieu",
    r"\bcancelad[ao]\b",
    r"\bcancelar\b",
    r"\bcancelaci[óo]n\b",
    r"no se (?:llevar[áa]|realizar[áa]) a cabo",
    r"\bsuspendid[ao]\b",
)
RESCHEDULED = any_of(
    r"\bre-?schedul(?:e|ed|ing)\b",
    r"\bcorrection\s*:",
    r"\bcorrected (?:details|time|date|invite|invitation)",
    r"\bkorrigiert(?:e[rn]?)? (?:termin|uhrzeit|zeit|einladung)",
    r"\bhoraire corrigé",
    r"\bhora corregida",
    r"\bupdated (?:schedule|interview|agenda)\b",
    r"\bmake a change to (?:your|the|our)\b",
    r"\bdisregard the (?:previous|earlier|original)\b",
    r"^updated(?: invitation)?:",
    r"\bmoved? (?:to|our|the|your|it)\b",
    r"\bmoving (?:to|it|our|the|your)\b",
    r"\bpush(?:ed)? (?:your|our|the|it|us|things)\b",
    r"\bupdated invite\b",
    r"\bbr(?:ing|ought) (?:it |the interview |things )?forward\b",
    r"\bnew (?:time|date|slot)\b",
    r"\bupdated (?:time|date|invitation|invite)\b",
    r"\bchange (?:of|in) (?:time|date|schedule)",
    r"\btime change\b",
    r"\bpostpone",
    r"\bpush(?:ed)? (?:back|to)\b",
    r"\bshift(?:ed)? (?:to|our)",
    r"\bverschoben\b",
    r"\bverschiebung\b",
    r"\bverleg(?:t|en)\b",
    r"\bverschieben\b",
    r"\bneue[rn]? (?:termin|uhrzeit|zeit)\b",  # "neue Terminvorschläge" only promises some
    r"\bverlegt\b",
    r"\bterminänderung",
    r"\bge[äa]nderte[rn]? termin",
    r"\breport(?:é|ée|és|ées)\b",
    r"\breporter (?:l'entretien|notre|votre|le rendez-vous|la réunion)",
    r"\breprogramm[ée]",
    r"\bd[ée]cal[ée]",
    r"\bd[ée]plac[ée]",
    r"\bd[ée]placer (?:votre|notre|l'|le)",
    r"\bchangement de (?:date|jour)\b",
    r"\bnouvel(?:le)? (?:horaire|date|heure|créneau)",
    r"\bchangement d'(?:horaire|heure|date)",
    r"\breprogramad[ao]",
    r"\bcambio de (?:hora|fecha|horario)",
    r"\bnueva (?:hora|fecha)",
    r"\bnuevo horario",
    r"\bpospuest[ao]",
    r"\baplazad[ao]",
    r"\bmovid[ao]",
    # "la pasamos al lunes", "te cambio la entrevista de mañana a pasado mañana"
    r"\b(?:la|lo)\s+(?:pasamos|movemos|cambiamos|trasladamos|adelantamos|posponemos|aplazamos)\b",
    r"\b(?:pasamos|movemos|cambiamos|trasladamos|adelantamos|cambio|paso|muevo|adelanto)\s+"
    r"(?:la|tu|su|nuestra)\s+(?:entrevista|reuni[óo]n|llamada|videollamada|cita)\b",
)
# Asking the candidate to choose or offer a time: an invitation even when slots are listed.
ASKS_FOR_TIME = any_of(
    r"\b(?:two|three|a few|some|these|the following|both) (?:options|slots|times|dates)\b",
    r"\bwhichever\b",
    r"\b(?:once|when|after) you(?:'ve)? (?:pick|choose|select|confirm which)",
    r"\bif neither\b",
    r"\bwelche[rsn]? (?:der|dieser) (?:folgenden|beiden|drei)\b",
    r"\bfolgende[nr]? (?:termin|zeit)",
    r"\bquel(?:le)?s? (?:de ces|des) (?:créneaux|dates|options)",
    r"\b(?:grab|pick|book|choose|take) (?:any|an?|one|some)\b[^.\n]{0,30}\b(?:slot|time|spot)",
    r"\b(?:open|free|available) (?:slot|spot)s?\b",
    r"\bon my calendar\b",
    r"\bavailable (?:interview )?(?:times|slots|dates)\b",
    r"\bselect (?:the one|one|a time|your time|a slot|an? (?:interview )?time)",
    r"\b(?:indicate|confirm|tell us|let us know|share) your preferred\b",
    r"\bpreferred (?:session|time|slot|date)\b",
    r"\bw[äa]hlen sie\b[^.\n]{0,60}\btermin",
    r"\b(?:interview)?termin (?:aus)?w[äa]hlen\b",
    r"\bverf[üu]gbaren termin",
    r"\b(?:elige|elija|selecciona|seleccione|reserva|reserve) (?:un|el|tu|su) (?:horario|hueco|d[íi]a|momento)",
    r"\bagenda (?:tu|su) entrevista",
    r"\b(?:seleccionar|elegir|escoger|reservar)\s+(?:la|una|tu|su|el|un)\s+(?:fecha|hora|horario|hueco|d[íi]a)",
    r"\bprogram(?:a|ar|e)\s+(?:tu|su)\s+entrevista",
    r"\bchoisi(?:r|ssez) (?:un|le|votre) (?:créneau|horaire|moment)",
    r"\br[ée]server? (?:un|votre) cr[ée]neau",
    r"\bslots?\b[^.?\n]{0,30}\b(?:passen|work|suit|conviennent|convienen)",
    r"\b(?:hast du|haben sie|h[äa]tten sie|h[äa]ttest du)\b[^.?\n]{0,40}\bzeit\b",
    r"\bdie (?:dir|ihnen) passen\b",
    r"\bpasst (?:dir|ihnen|es)\b",
    r"\b(?:your|what is your|share your|send (?:me|us) your|provide your) availability",
    r"\bavailability\b",
    r"\b(?:pick|select|choose|book|grab|find) (?:a|an|your) (?:time|slot|date)",
    r"\bscheduling link",
    r"\bself-?schedul",
    r"\bwould any of (?:these|the following)",
    r"\b(?:do|does|would|will) (?:any|one) of (?:these|the following|those)",
    r"\bwhich (?:of these|one|time|slot|option|day)s? (?:works?|suits?|would)",
    r"\bwhich (?:works|suits|is best)\b",
    r"\bwhich (?:one )?(?:you(?:'d)? )?(?:prefer|would prefer)\b",
    r"\b(?:laquelle|lequel|lesquel(?:le)?s) (?:vous|te) (?:convien|arrange)",
    r"\bcu[áa]l (?:prefieres|prefiere|te va mejor|le va mejor)",
    r"\beither (?:of (?:these|those|them)|option|slot|time)\b",
    r"\bwhat (?:time|day)s? (?:works|suit|would)",
    r"\bwhen (?:are|would|will) you (?:be )?(?:available|free)",
    r"\b(?:send|share|give|suggest|propose)\b[^.?\n]{0,40}\b(?:windows?|slots?|times|availability|dates|options)\b",
    r"\bverf[üu]gbarkeit",
    r"\bterminvorschl[äa]g",
    r"\bwann (?:h[äa]tten|haben|passt)",
    r"\btermin (?:ausw[äa]hlen|buchen|finden|abstimmen)",
    r"\bwelche[rs]? (?:termin|zeit|slot)",
    r"\bdisponibilit[ée]s?\b",
    r"\bcr[ée]neaux?\b",
    r"\bquel(?:le)?s? (?:créneau|moment|jour|horaire)",
    r"\bdisponibilidad",
    r"\bhorarios? disponibles?",
    r"\belegir un horario",
    r"\bhuecos?\b",
    r"\bqu[ée] (?:d[íi]a|hora|horario|opci[óo]n)",
    r"\bcu[áa]l (?:de (?:estas|estos)|te viene|le viene)",
)
INVITATION = any_of(
    r"\binvite you (?:to|for)\b",
    r"\binvit(?:e|ing) you\b",
    r"\blike to (?:schedule|set up|arrange|invite|book|move forward)",
    r"\b(?:your|what is your|share your|send (?:me|us) your|provide your) availability",
    r"\bavailab(?:le|ility) (?:times|slots|windows|for (?:a|an) )",
    r"\bwhen (?:are|would) you (?:be )?(?:available|free)",
    r"\b(?:pick|select|choose|book|grab|find) (?:a|an|your) (?:time|slot|date)",
    r"\bscheduling link",
    r"\bself-?schedul",
    r"\bschedule (?:a|an|your) (?:time|interview|call|chat)",
    r"\blet (?:me|us) know (?:when|what|which|your|if any)",
    r"\bwould any of (?:these|the following)",
    r"\bwork(?:s)? (?:best )?for you\b",
    r"\b(?:send|share|give|suggest|propose)\b[^.?\n]{0,40}\b(?:windows?|slots?|times|availability|dates|options)\b",
    r"\bavailability\b",
    r"\bwhat (?:time|day)s? (?:works|suit)",
    r"\bgrab (?:a|some|\d+)",
    r"\bfind a time\b",
    r"\beinladen\b",
    r"\beinladung\b",
    r"\bverf[üu]gbarkeit",
    r"\bterminvorschl[äa]g",
    r"\bwann (?:h[äa]tten|haben) sie zeit",
    r"\btermin (?:vereinbaren|ausw[äa]hlen|buchen|finden|abstimmen)",
    r"\bpasst (?:ihnen|es ihnen|dir)",
    r"\bvous inviter\b",
    r"\binvitation\b",
    r"\bdisponibilit[ée]s?\b",
    r"\bcr[ée]neaux?\b",
    r"\bconvenir d'un",
    r"\bprendre rendez-vous",
    r"\bfixer un (?:rendez-vous|entretien)",
    r"\binvitar(?:le|te|la|lo)\b",
    r"\bdisponibilidad",
    r"\bagendar\b",
    r"\bcoordinar\b",
    r"\belegir un horario",
    r"\bhorarios? disponibles?",
    r"\bte invitamos\b",
    r"\ble invitamos\b",
)
CONFIRMED = any_of(
    r"\bconfirm(?:ed|ation|ing)?\b",
    r"\bis (?:now )?scheduled (?:for|on|at)\b",
    r"\bscheduled for\b",
    r"\byou(?:'re| are) (?:all )?set\b",
    r"\blook(?:ing)? forward to (?:speaking|meeting|seeing|talking|chatting)",
    r"\bsee you (?:on|at|then|tomorrow)\b",
    r"\bcalendar invit",
    r"\binterview details\b",
    r"\bbest[äa]tig",
    r"\bfindet (?:am|um)\b",
    r"\bwir freuen uns\b",
    r"\bconfirm(?:er|ation|é|ée|ons)\b",
    r"\best pr[ée]vu",
    r"\baura lieu\b",
    r"\bconfirm(?:ar|aci[óo]n|ada|ado|amos)\b",
    r"\best[áa] (?:programada|agendada|prevista)",
    r"\btendr[áa] lugar\b",
    r"\bqueda (?:agendada|confirmada)",
)
# Offers to change, addressed to the reader ("If you need to reschedule, click here") or
# action links ("Cancel: https://..."): they do not say that anything changed.
CHANGE_OFFER = any_of(
    r"\b(?:vous pouvez|tu peux|puede|puedes|k[öo]nnen sie|kannst du)\b[^.\n]{0,40}\b(?:annuler|modifier|reporter|d[ée]placer|cancelar|modificar|reprogramar|cambiar|absagen|verschieben|[äa]ndern)",
    r"\b(?:if you|should you|you can|you may|feel free to|please (?:use|click|let))\b[^.\n]{0,60}\b(?:re-?schedul|cancel|change|modify)",
    r"\byou\b[^.\n]{0,30}\b(?:need|want|wish|have) to (?:re-?schedul|cancel|change)",
    r"^\s*(?:cancel|reschedule|decline|accept|change|modify|manage)\b[^.\n]{0,40}(?::|https?://|$)",
    r"\b(?:re-?schedule|change) or cancel\b",
    r"\bcancel or (?:re-?schedule|change)\b",
    r"\bfalls sie\b[^.\n]{0,60}\b(?:verschieben|absagen|ändern)",
    r"\bsi vous (?:devez|souhaitez|voulez)\b[^.\n]{0,40}\b(?:annuler|reporter|modifier|déplacer)",
    r"\bsi (?:necesitas|necesita|deseas|desea)\b[^.\n]{0,40}\b(?:cambiar|cancelar|reprogramar|modificar)",
)
CONDITIONAL = any_of(
    r"(?:^|(?<=[.!?] ))[ \t\-*•>]*(?:if|should|once|whether|sobald|falls|wenn|si|en caso|une fois)\b",
    r"\bwill be (?:contacted|in touch)\b",
    r"\b(?:we|they|someone|a recruiter)(?:'ll| will) (?:contact|reach out|be in touch|get back)",
    r"\bwird sich\b[^.\n]{0,40}\bmelden\b",
    r"\bvous (?:contactera|recontactera)",
    r"\bnos pondremos en contacto\b",
    r"\bif (?:your|you|we|there)\b[^.]{0,80}\b(?:we will|we'll|will be in touch|will contact|will reach out)",
    r"\bshould (?:your|you|we)\b",
    r"\bin case (?:your|you|we)\b",
    r"\bfalls\b",
    r"\bsollten? (?:sie|ihr|wir)\b",
    r"\bsi (?:votre|vous|nous|tu|su)\b",
    r"\ben caso de\b",
    r"\bsi (?:tu|su) perfil",
)


# Every break starts with a space or a newline: said first, it lets `re` skip ahead fast.
_SENTENCE = re.compile(r"(?=\s)(?:(?<=[.!?])\s+|\n{2,}|\n(?=\s*[-*•]))")


def firm_sentences(text: str) -> list[str]:
    """Sentences that state something: not conditions, offers to change, or action links.

    The two long patterns scan the text once; sentences that overlap a match are dropped.
    """
    hedged = [  # where a condition or an offer to change stands
        match.span()
        for pattern in (CONDITIONAL, CHANGE_OFFER)
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]
    sentences, start = [], 0
    for boundary in [*_SENTENCE.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        if start == end or not any(low < end and start < high for low, high in hedged):
            sentences.append(text[start:end])
        start = boundary.end() if boundary else end
    return sentences
