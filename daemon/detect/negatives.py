"""The words that rule a mail out: it talks about interviews without arranging the user's
job interview (a rejection, an offer, a newsletter, a press or a state interview, a webinar).

Like `cues`, each is a compiled pattern over the text, in English, German, French, Spanish.
"""

from __future__ import annotations

from daemon.detect.cues import any_of

REJECTION = any_of(
    r"\bdecided (?:not to|to (?:move|go) forward with other|to pursue other)",
    r"\bother candidates\b",
    r"\bnot (?:be )?(?:moving|move) forward with your",
    r"\bregret to inform",
    r"\bwill not be moving forward",
    r"\bnot (?:been )?selected\b",
    r"\bunable to offer you\b",
    r"\bnicht (?:weiter )?ber[üu]cksichtig",
    r"\banderen? (?:kandidat|bewerber)",
    r"\bleider (?:m[üu]ssen wir ihnen )?mitteilen",
    r"\bhaben uns (?:leider )?(?:für|entschieden)[^.\n]{0,40}\band(?:ere|eren)\b",
    r"\babsage (?:auf|zu) ihre[rn]? bewerbung",
    r"\bleider (?:nicht|keine)[^.\n]{0,60}\b(?:berücksichtigen|weiter|zusage)",
    r"\bpas (?:été )?retenue?\b",
    r"\bne pas donner suite",
    r"\bautres? candidat",
    r"\bn'avons pas retenu",
    r"\blamentablemente\b",
    r"\bno (?:ha|has) sido seleccionad",
    r"\botros? candidat",
    r"\bno continuar",
    r"\bno seguir adelante",
    r"\bhemos decidido (?:no|continuar con otr)",
)

OFFER = any_of(
    r"\bpleased to (?:extend|offer)\b",
    r"\boffer letter\b",
    r"\bjob offer\b",
    r"\boffer of employment",
    r"\bextend (?:you )?an offer",
    r"\bdelighted to offer",
    r"\bvertragsangebot",
    r"\barbeitsvertrag",
    r"\bangebot (?:zu )?unterbreiten",
    r"\bpromesse d'embauche",
    r"\bproposition d'embauche",
    r"\bproposition de contrat",
    r"\boferta (?:de trabajo|laboral|de empleo)",
    r"\bcarta oferta",
    r"\bcomplace ofrecer",
)

APPLICATION_RECEIVED = any_of(
    r"\breceived your application",
    r"\bthank(?:s| you) for (?:applying|your application|your interest)",
    r"\bapplication (?:has been )?(?:received|submitted)",
    r"\beingang ihrer bewerbung",
    r"\b(?:vielen )?dank f[üu]r ihre bewerbung",
    r"\bbewerbung (?:ist )?(?:bei uns )?eingegangen",
    r"\bbien re[çc]u votre candidature",
    r"\baccus[ée] de r[ée]ception",
    r"\bmerci pour votre candidature",
    r"\bhemos recibido tu (?:candidatura|solicitud|postulaci[óo]n)",
    r"\bgracias por (?:postularte|tu candidatura|aplicar|tu inter[ée]s)",
)

PAST_INTERVIEW = any_of(
    r"\bthank(?:s| you) for (?:taking the time to |your time )?(?:interview|meet|speak|talk|chat)",
    r"\bthank(?:s| you) for (?:the|our|your) (?:interview|conversation|time|call)",
    r"\bi (?:really )?enjoyed (?:speaking|talking|meeting|our)",
    r"\bafter (?:your|our|the) interview",
    r"\bfollowing (?:your|our|the) interview",
    r"\bhow (?:was|did) (?:your|the) interview",
    r"\binterview(?:ing)? experience\b",
    r"\bdanke f[üu]r (?:das|ihre zeit|unser)",
    r"\bmerci pour (?:l'entretien|votre temps|notre échange)",
    r"\bgracias por (?:la entrevista|tu tiempo|su tiempo)",
)

BULK = any_of(
    r"\bjob alert",
    r"\bjobs? (?:for you|matching|you may|recommended)",
    r"\bnew jobs?\b",
    r"\brecommended jobs",
    r"\bnewsletter",
    r"\bwebinar",
    r"\bwebinaire",
    r"\bseminario web",
    r"\bmeetup\b",
    r"\bpodcast",
    r"\bepisode\b",
    r"\barticle\b",
    r"\bblog\b",
    r"\btips\b",
    r"\bcareer fair",
    r"\bjob fair",
    r"\binfo session",
    r"\bregister (?:now|here|today)",
    r"\brsvp\b",
    r"\bkarrieremesse",
    r"\bjob-?alarm",
    r"\bpassende jobs",
    r"\balerte emploi",
    r"\balerta de empleo",
    r"\bofertas para ti",
    r"\bsurvey\b",
    r"\bumfrage\b",
    r"\benqu[êe]te\b",
    r"\bencuesta\b",
    r"\bmock interview",
    r"\binterview (?:tips|questions|prep)",
    r"\bjournalist",
    r"\bmagazine\b",
    r"\bpress\b",
    r"\binterview with (?:our|the) (?:ceo|founder|cto)",
    r"\bdentist",
    r"\bzahnarzt",
    r"\bdentiste",
    r"\bdentista",
    r"\bdoctor\b",
    r"\barztpraxis",
    r"\bm[ée]dico\b",
    r"\bm[ée]decin\b",
    r"\bappointment reminder",
    r"\bsprint\b",
    r"\bstand-?up\b",
    r"\ball-hands",
    r"\bretro(?:spective)?\b",
    r"\bopen to new opportunities",
    r"\bcame across your profile",
)

# Interviews that are not the user's job interview: research, press, reviews, training.
NOT_HIRING = any_of(
    r"\bvisa (?:interview|appointment|application|section|category)",
    # interviews a state holds: enrolment in a traveller programme, citizenship, residence
    r"\b(?:enrol(?:l)?ment|citizenship|naturali[sz]ation|immigration|asylum|green card|"
    r"residence permit|customs|consular) (?:interview|cent(?:er|re)|office|appointment)",
    r"\b(?:einb[üu]rgerung|aufenthaltstitel|titre de s[ée]jour|permiso de residencia)",
    r"\b(?:visumantrag|visatermin|rendez-vous (?:de )?visa|cita (?:de|para el) visado)",
    r"\bforo de empleo\b",
    r"\b(?:reporter|journalist|editor|correspondent|producer) (?:at|for|with)\b",
    # a journalist introducing themself: "Soy productora de...", "Je suis journaliste à..."
    r"\b(?:i'?m|i am) an? (?:reporter|journalist|producer|podcast host)\b",
    r"\bsoy (?:periodista|productor(?:a)?|redactor(?:a)?|locutor(?:a)?|conductor(?:a)?)\b",
    r"\bje suis (?:journaliste|producteur|productrice|r[ée]dact(?:eur|rice)|chroniqueu(?:r|se))\b",
    r"\bich bin (?:journalist(?:in)?|redakteur(?:in)?|reporter(?:in)?|moderator(?:in)?)\b",
    r"\b(?:interview|entrevista|entretien)\b[^.\n]{0,60}\b(?:on air|on-air|en vivo|en directo|"
    r"al aire|en direct|à l'antenne|live on)\b",
    r"\b(?:piece|feature|article|story|episode|segment) (?:on|about)\b",
    r"\binformational interview",
    r"\byour order\b",
    r"\border (?:#|number|confirmation)",
    r"\b(?:customer|user|users|research|discovery|usability|exit|stay|media|press|radio|tv|podcast)[ -]interviews?\b",
    r"\binterviews? with (?:customers|users|participants)\b",
    r"\buser research\b",
    r"\bperformance review\b",
    r"\bappraisal\b",
    r"\bmitarbeitergespr[äa]ch",
    r"\bjahresgespr[äa]ch",
    r"\bentretien (?:annuel|d'[ée]valuation|professionnel|individuel annuel)",
    r"\bentrevista (?:de salida|anual)",
    r"\bevaluaci[óo]n (?:anual|de desempeño)",
    r"\bmasterclass\b",
    r"\bworkshop\b",
    r"\bbootcamp\b",
    r"\batelier (?:en ligne|cv|emploi|carri[èe]re)",
    # an article's interview with a leader: "Entrevista a Ana Gil, directora general de..."
    r"\b(?:interview with|entrevista a|entretien avec|interview mit)\s+[^,\n]{3,40},\s+(?:the\s+|la\s+|el\s+|le\s+)?"
    r"(?:ceo|cto|cfo|founder|co-?founder|director[a]? general|directeur g[ée]n[ée]ral|"
    r"directrice g[ée]n[ée]rale|fundador[a]?|fondat(?:eur|rice)|gr[üu]nder(?:in)?|"
    r"gesch[äa]ftsf[üu]hrer(?:in)?|presidente?|pr[ée]sident(?:e)?)\b",
    r"\bferia\b",
    r"\bsalon (?:de l'emploi|du recrutement)",
    r"\bforum (?:emploi|de l'emploi|entreprises)",
    r"\bjob ?fair\b",
    r"\bcareer (?:fair|day)\b",
    r"\bmock interviews?\b",
    r"\binterview (?:prep|preparation|training|practice|coaching|tips|skills)\b",
    r"\bpr[ée]parer (?:vos|ses|les) entretiens",
    r"\bpreparar (?:tus|sus|la) entrevistas?",
)

# An event the reader registered for, with many others: said anywhere in a mail or an event.
REGISTRATION = any_of(
    r"\bwebin(?:ar|aire)s?\b",
    r"\bseminario web\b",
    r"\bthank(?:s| you) for registering\b",
    r"\bcancel your registration\b",
    r"\bregistration (?:confirmed|confirmation|is confirmed)\b",
    r"\bmerci (?:de|pour) votre inscription\b",
    r"\bdanke f[üu]r ihre anmeldung\b",
    r"\bgracias por (?:tu|su) (?:registro|inscripci[óo]n)\b",
)

# An event for many people; in the subject it says what the whole mail is about.
EVENT_FOR_MANY = any_of(
    r"\bwebin(?:ar|aire)\b",
    r"\bseminario web\b",
    r"\binfo(?:rmation)? session\b",
    r"\bmeetup\b",
    r"\b(?:career|job) (?:fair|day)\b",
    r"\bworkshop\b",
    r"\bmasterclass\b",
    r"\bconference\b",
    r"\byou(?:'re| are) registered\b",
    r"\bregistration (?:confirmed|confirmation)\b",
    r"\binscripci[óo]n\b",
    r"\binscription\b",
    r"\banmeldung\b",
    r"\bstarting (?:in|soon)\b",
    r"\bnewsletter\b",
    r"\bjob alert",
    r"\bforo de empleo\b",
    r"\batelier (?:en ligne|cv|emploi|carri[èe]re)",
)

AUTOMATIC_SUBJECT = any_of(
    r"^(?:auto(?:matic)?[ -]?reply|out of (?:the )?office|abwesenheit|absence|r[ée]ponse automatique|"
    r"respuesta autom[áa]tica|fuera de la oficina|automatische antwort|undeliverable|delivery status|"
    r"mail delivery failed|returned mail|non remis|unzustellbar)",
)
