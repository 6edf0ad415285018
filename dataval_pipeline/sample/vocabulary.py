"""Word lists and sentence banks of the synthetic reports (French, after real ARS reports)."""

FIRST_NAMES_F = [
    "Karine", "Sophie", "Fatima", "Claire", "Nathalie", "Mireille", "Aurélie", "Monique", "Josiane",
    "Hélène", "Camille", "Yasmina", "Brigitte", "Sandrine", "Odile", "Christiane", "Léa", "Nadia",
    "Anne-Marie", "Marie-Claude", "Marie-Hélène", "Élodie", "Germaine", "Suzanne", "Awa", "Maëlle",
]
FIRST_NAMES_M = [
    "Jean", "Pierre", "Lucien", "Thierry", "Mohamed", "Julien", "Bernard", "Olivier", "Marcel",
    "François", "Karim", "Laurent", "Raymond", "Étienne", "Gérard", "Yann", "Mathieu", "Abdel",
    "Jean-Pierre", "Jean-Luc", "Paul-Henri", "Jean-Baptiste", "André", "Roger", "Didier", "Loïc",
]
SURNAMES = [
    "Vasseur", "Martin", "Benali", "Petit", "Garnier", "Dumont", "Lefebvre", "Moreau", "Fournier",
    "Girard", "Bonnet", "Mercier", "Rousseau", "Blanchard", "Guérin", "Chevalier", "Perrin", "Morel",
    "Lemaire", "Barbier", "Renaud", "Caron", "Picard", "Roussel", "Leclerc", "Meunier", "Brunet",
    "Haddad", "Nguyen", "Diallo", "Ferreira", "Kowalski", "Le Gall", "Tessier", "Boyer", "Vidal",
    "Dumont-Leroy", "Martin-Garcia", "Lambert-Ollivier", "Texier", "Aubert", "Marchand", "Jacquet",
    "Poulain", "Delmas", "Courtois", "Hoarau", "Besnard", "Gauthier", "Lacroix", "Fabre", "Maillard",
]
STREET_TYPES = ["rue", "avenue", "boulevard", "allée", "impasse", "chemin", "place", "route"]
STREET_NAMES = [
    "des Lilas", "Victor Hugo", "de la République", "Jean Jaurès", "des Peupliers", "du Moulin",
    "Pasteur", "de la Gare", "des Écoles", "Gambetta", "du Général de Gaulle", "des Acacias",
    "Saint-Exupéry", "de Verdun", "des Tilleuls", "Émile Zola", "du Stade", "de la Fontaine",
]
ESTABLISHMENT_NAMES = [
    "Les Tilleuls", "Les Jardins de Sophia", "La Roseraie", "Le Clos Fleuri", "Les Cèdres",
    "Résidence du Parc", "Les Magnolias", "La Maison du Lac", "Les Hortensias", "Le Val d'Or",
    "Les Terrasses de la Loire", "Sainte-Marthe", "Les Glycines", "La Source", "Les Charmilles",
    "Résidence Beau Soleil", "Les Oliviers", "Le Bois Joli", "Les Myosotis", "La Chênaie",
    "Les Balcons du Rhône", "Korian Les Lavandes", "Les Genêts", "Villa Marguerite",
]
LEGAL_ENTITIES = {
    "public": ["Centre communal d'action sociale de {city}", "EHPAD public autonome de {city}"],
    "private_non_profit": ["Association Les Amis de {city}", "Fondation Partage et Vie", "Mutualité Française"],
    "private_commercial": ["SAS Séniors Horizons", "Groupe Émeraude Santé", "SARL Résidences du Soleil"],
}

# ARS, with the départements of the sample (code, name, a city and its postal code).
REGIONS = [
    ("Île-de-France", [("75", "PARIS", "Paris", "75014"), ("92", "HAUTS-DE-SEINE", "Nanterre", "92000"),
                       ("94", "VAL-DE-MARNE", "Créteil", "94000")]),
    ("Auvergne-Rhône-Alpes", [("69", "RHONE", "Lyon", "69003"), ("01", "AIN", "Bourg-en-Bresse", "01000"),
                              ("38", "ISERE", "Grenoble", "38000")]),
    ("Occitanie", [("31", "HAUTE-GARONNE", "Toulouse", "31400"), ("34", "HERAULT", "Montpellier", "34000")]),
    ("Hauts-de-France", [("59", "NORD", "Lille", "59000"), ("62", "PAS-DE-CALAIS", "Arras", "62000")]),
    ("Nouvelle-Aquitaine", [("33", "GIRONDE", "Bordeaux", "33000"), ("87", "HAUTE-VIENNE", "Limoges", "87000")]),
    ("Bretagne", [("29", "FINISTERE", "Brest", "29200"), ("35", "ILLE-ET-VILAINE", "Rennes", "35000")]),
    ("Corse", [("2A", "CORSE-DU-SUD", "Ajaccio", "20000"), ("2B", "HAUTE-CORSE", "Bastia", "20200")]),
]

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]

# Findings per theme: {kind, body, refs, measure[, grade]}. Écarts cite binding references (article,
# code) that the house style writes in its own way; remarques cite none. ``body`` is the observation
# without its reference; ``measure`` the corrective action a measure asks for. Placeholders are filled
# from the establishment: {capacity}, {medec_fte}, {night_staff}, {residents}, {year}.
FINDINGS = {
    "staffing": [
        {"kind": "ecart", "body": "Le temps de médecin coordonnateur est de {medec_fte} ETP pour {capacity} places, "
                                  "inférieur au temps minimal fixé pour cette capacité",
         "refs": [("D.312-156", "CASF")],
         "measure": "Porter le temps de médecin coordonnateur au niveau minimal requis pour la capacité autorisée"},
        {"kind": "ecart", "body": "Des agents de service non diplômés, faisant fonction d'aides-soignants, "
                                  "distribuent les médicaments et réalisent des pansements (glissement de tâches)",
         "refs": [("R.4311-4", "CSP")],
         "measure": "Réserver la distribution des médicaments et la réfection des pansements aux professionnels habilités"},
        {"kind": "remarque", "body": "Le recours à l'intérim est important : plusieurs postes d'aides-soignants sont "
                                     "vacants et les plannings montrent des journées à effectif réduit",
         "measure": "Élaborer un plan de recrutement et de fidélisation des aides-soignants"},
        {"kind": "remarque", "body": "La nuit, {night_staff} agents assurent seuls la surveillance des {residents} "
                                     "résidents, sans infirmier présent ni astreinte formalisée",
         "measure": "Formaliser une astreinte infirmière de nuit et en informer les équipes"},
    ],
    "governance": [
        {"kind": "ecart", "body": "Le conseil de la vie sociale ne s'est pas réuni depuis deux ans",
         "refs": [("D.311-16", "CASF")],
         "measure": "Tenir trois séances annuelles du conseil de la vie sociale et communiquer leurs procès-verbaux aux familles"},
        {"kind": "ecart", "body": "Le projet d'établissement est échu depuis 2019 et n'a pas été actualisé",
         "refs": [("L.311-8", "CASF")],
         "measure": "Actualiser le projet d'établissement en associant les professionnels et le conseil de la vie sociale"},
        {"kind": "remarque", "body": "Le document unique de délégation du directeur n'est pas formalisé et "
                                     "l'organigramme transmis ne correspond pas à l'organisation constatée",
         "measure": "Formaliser le document unique de délégation et mettre à jour l'organigramme"},
        {"kind": "remarque", "body": "La démarche de gestion des risques n'est pas structurée : aucune cartographie "
                                     "des risques n'a été produite",
         "measure": "Établir une cartographie des risques et un plan d'actions de prévention"},
    ],
    "medication": [
        {"kind": "ecart", "body": "La traçabilité de l'administration des médicaments n'est pas assurée en temps réel",
         "refs": [("R.4312-38", "CSP")],
         "measure": "Tracer chaque administration de médicament au moment de la prise, dans le dossier de soins"},
        {"kind": "ecart", "body": "Les piluliers sont préparés par des agents non habilités",
         "refs": [("L.313-26", "CASF")],
         "measure": "Confier la préparation des piluliers à des professionnels habilités"},
        {"kind": "remarque", "body": "Le chariot de médicaments est laissé sans surveillance dans le couloir, non verrouillé",
         "measure": "Verrouiller le chariot de médicaments dès qu'il n'est plus sous la surveillance d'un soignant"},
        {"kind": "remarque", "body": "Les médicaments stupéfiants ne font pas l'objet d'un inventaire contradictoire régulier",
         "measure": "Organiser un inventaire contradictoire mensuel des stupéfiants"},
    ],
    "mistreatment": [
        {"kind": "ecart", "body": "Des propos humiliants tenus par un agent envers un résident ont été rapportés sans "
                                  "qu'aucun signalement ne soit adressé aux autorités",
         "refs": [("L.331-8-1", "CASF")],
         "measure": "Déclarer aux autorités tout fait de maltraitance et protéger le résident concerné"},
        {"kind": "remarque", "body": "Aucune procédure de prévention et de traitement de la maltraitance n'est diffusée "
                                     "aux équipes",
         "measure": "Rédiger et diffuser une procédure de prévention et de traitement de la maltraitance"},
        {"kind": "remarque", "body": "Plusieurs résidents ont été trouvés en chemise de nuit à 15 heures, sans que "
                                     "leurs souhaits aient été recueillis",
         "measure": "Recueillir les habitudes de vie de chaque résident et les inscrire dans son projet personnalisé"},
    ],
    "residents_rights": [
        {"kind": "ecart", "body": "Les contrats de séjour ne comportent pas l'annexe relative aux mesures "
                                  "particulières de liberté d'aller et venir",
         "refs": [("L.311-4-1", "CASF")],
         "measure": "Compléter chaque contrat de séjour de l'annexe relative à la liberté d'aller et venir"},
        {"kind": "remarque", "body": "Le règlement de fonctionnement n'est pas remis aux familles lors de l'admission",
         "measure": "Remettre le règlement de fonctionnement à chaque admission et en tracer la remise"},
        {"kind": "remarque", "body": "Les toilettes sont réalisées portes ouvertes, au détriment de l'intimité des résidents",
         "measure": "Rappeler aux équipes les règles de respect de l'intimité lors des soins"},
    ],
    "restraint": [
        {"kind": "ecart", "body": "Des contentions physiques sont mises en place sans prescription médicale ni réévaluation",
         "refs": [("L.311-4-1", "CASF"), ("R.4127-8", "CSP")],
         "measure": "Subordonner toute contention à une prescription médicale motivée, réévaluée et tracée"},
        {"kind": "remarque", "body": "Des chambres sont fermées à clé la nuit sans décision tracée dans le dossier",
         "measure": "Tracer dans le dossier toute décision de fermeture d'une chambre et sa justification"},
    ],
    "hygiene": [
        {"kind": "ecart", "body": "Les déchets d'activités de soins à risques infectieux sont stockés dans un local "
                                  "non sécurisé",
         "refs": [("R.1335-7", "CSP")],
         "measure": "Entreposer les déchets d'activités de soins dans un local fermé et réservé à cet usage"},
        {"kind": "remarque", "body": "Le circuit du linge propre et du linge sale se croise dans la buanderie",
         "measure": "Séparer les circuits du linge propre et du linge sale"},
        {"kind": "remarque", "body": "Aucun protocole de gestion d'une épidémie n'a été actualisé depuis 2021",
         "measure": "Actualiser le plan de gestion des épidémies et le présenter aux équipes"},
    ],
    "building_safety": [
        {"kind": "ecart", "body": "Le registre de sécurité incendie n'est pas tenu à jour et l'exercice d'évacuation "
                                  "annuel n'a pas été réalisé",
         "refs": [("R.143-38", "CCH")],
         "measure": "Tenir le registre de sécurité à jour et organiser un exercice d'évacuation"},
        {"kind": "remarque", "body": "Le système d'appel malade est défaillant dans l'aile B : les appels ne sont pas "
                                     "reportés sur les téléphones des soignants",
         "measure": "Faire réparer le système d'appel malade et en vérifier le fonctionnement chaque semaine"},
        {"kind": "remarque", "body": "Plusieurs chambres présentent des traces d'humidité et des sols dégradés",
         "measure": "Inscrire la réfection des chambres concernées au plan pluriannuel d'investissement"},
    ],
    "nutrition": [
        {"kind": "ecart", "body": "Le jeûne nocturne dépasse 12 heures pour l'ensemble des résidents",
         "refs": [("D.312-158", "CASF")],
         "measure": "Réduire la durée du jeûne nocturne en proposant une collation en soirée"},
        {"kind": "remarque", "body": "Les résidents ne sont pas pesés mensuellement et la dénutrition n'est pas dépistée",
         "measure": "Organiser la pesée mensuelle des résidents et le dépistage de la dénutrition"},
        {"kind": "remarque", "body": "Les textures modifiées ne respectent pas les prescriptions de l'orthophoniste",
         "measure": "Adapter les textures servies aux prescriptions individuelles"},
    ],
    "care_quality": [
        {"kind": "ecart", "body": "Les plans de soins individualisés ne sont pas élaborés pour 40 % des résidents",
         "refs": [("D.312-158", "CASF")],
         "measure": "Élaborer un plan de soins individualisé pour chaque résident"},
        {"kind": "remarque", "body": "La prévention des escarres n'est pas organisée : aucune évaluation du risque "
                                     "n'est tracée dans les dossiers de soins",
         "measure": "Évaluer le risque d'escarre à l'admission puis à chaque changement d'état"},
        {"kind": "remarque", "body": "Les transmissions entre équipes de jour et de nuit ne sont pas écrites",
         "measure": "Formaliser des transmissions écrites entre les équipes de jour et de nuit"},
    ],
    "financial": [
        {"kind": "remarque", "body": "Les excédents de la section soins des trois derniers exercices n'ont pas été "
                                     "affectés conformément à la décision de l'autorité de tarification",
         "measure": "Affecter les résultats conformément à la décision de l'autorité de tarification"},
        {"kind": "remarque", "body": "Les tableaux de bord financiers ne sont pas présentés au conseil "
                                     "d'administration",
         "measure": "Présenter chaque trimestre un tableau de bord financier à l'organe délibérant"},
    ],
    "training": [
        {"kind": "ecart", "body": "Le personnel de nuit n'a pas été formé aux gestes d'urgence",
         "refs": [("D.312-155-0", "CASF")],
         "measure": "Former l'ensemble du personnel de nuit aux gestes et soins d'urgence"},
        {"kind": "remarque", "body": "Le plan de formation ne prévoit aucune formation à la bientraitance",
         "measure": "Prévoir au plan de développement des compétences une action de formation sur la bientraitance"},
    ],
    "adverse_events": [
        {"kind": "ecart", "body": "Une chute suivie d'une fracture n'a pas été déclarée à l'autorité administrative "
                                  "comme événement indésirable grave",
         "refs": [("R.331-8", "CASF")],
         "measure": "Déclarer sans délai à l'autorité administrative tout événement indésirable grave"},
        {"kind": "remarque", "body": "Les réclamations des familles ne font pas l'objet d'un registre ni d'une "
                                     "réponse écrite",
         "measure": "Tenir un registre des réclamations et y répondre par écrit"},
    ],
}

# Irregularities the inspectors state in so many words (the fraud vocabulary of config/signals.yaml),
# several phrasings each; only establishments planted with the signal get them. {amount} is in euros,
# {declared}/{observed}/{gap} in FTE, {n} a small count; the figures agree with the reference data.
SIGNAL_FINDINGS = {
    "care_budget_misuse": {"theme": "financial", "kind": "ecart", "refs": [("R.314-166", "CASF")], "variants": [
        ("Des charges de personnel relevant de la section hébergement (agents d'entretien et personnel "
         "administratif) sont imputées sur la section soins financée par l'assurance maladie, pour {amount} € "
         "sur l'exercice {year}",
         "Réimputer à la section hébergement les {amount} € de charges concernées et transmettre un ERRD rectifié"),
        ("La rémunération de {n} agents de cuisine et de blanchisserie, soit {amount} €, est financée à tort par "
         "la dotation soins",
         "Cesser de financer sur la dotation soins des personnels relevant de l'hébergement et régulariser les "
         "{amount} € concernés"),
        ("L'examen du grand livre montre que des factures de restauration et de nettoyage ({amount} €) sont "
         "comptabilisées sur la section soins alors qu'elles relèvent de la section hébergement",
         "Réimputer les factures concernées à la section hébergement"),
    ]},
    "supplier_rebates_kept": {"theme": "financial", "kind": "ecart", "refs": [("R.314-162", "CASF")], "variants": [
        ("Les remises de fin d'année du fournisseur de protections pour l'incontinence, soit {amount} € en "
         "{year}, sont conservées par le siège du groupe et ne sont pas déduites des charges de l'établissement",
         "Porter les remises obtenues en déduction des charges de l'établissement et restituer les {amount} € "
         "conservés"),
        ("Les ristournes obtenues par la centrale d'achat sur les dispositifs médicaux ({amount} €) n'ont pas été "
         "reversées à l'établissement",
         "Reverser à l'établissement les ristournes perçues et modifier le contrat-cadre d'achat"),
    ]},
    "fte_overdeclared": {"theme": "staffing", "kind": "ecart", "refs": [("R.314-210", "CASF")], "variants": [
        ("L'état des effectifs joint à l'ERRD {year} déclare {declared} ETP soignants alors que les plannings des "
         "trois derniers mois ne font apparaître que {observed} ETP effectivement présents",
         "Transmettre un état des effectifs sincère et porter l'effectif présent au niveau de l'effectif financé"),
        ("Les effectifs financés sur la section soins excèdent de {gap} ETP les effectifs rémunérés selon les "
         "bulletins de paie ({declared} ETP déclarés, {observed} ETP rémunérés)",
         "Pourvoir les postes financés ou restituer les financements correspondants"),
        ("{gap} ETP d'aides-soignants inscrits au budget et déclarés à l'autorité de tarification n'ont jamais été "
         "pourvus",
         "Pourvoir les postes d'aides-soignants financés et en justifier auprès de l'autorité de tarification"),
    ]},
    "phantom_staff": {"theme": "staffing", "kind": "ecart", "refs": [("L.1221-13", "CT")], "variants": [
        ("{n} agents inscrits sur les plannings de nuit n'apparaissent dans aucun registre du personnel ni sur les "
         "bulletins de paie",
         "Mettre en concordance les plannings, le registre unique du personnel et la paie"),
        ("Plusieurs contrats de remplacement ({n} contrats, {amount} €) ne correspondent à aucune absence d'un "
         "salarié titulaire",
         "Justifier chaque contrat de remplacement par l'absence qu'il compense"),
        ("{n} salariés figurant sur l'état du personnel transmis à l'autorité de tarification n'ont jamais "
         "travaillé dans l'établissement selon les plannings",
         "Rectifier l'état du personnel transmis à l'autorité de tarification"),
    ]},
    "unqualified_staff_counted": {"theme": "staffing", "kind": "ecart", "refs": [("D.312-155-0", "CASF")], "variants": [
        ("{n} agents faisant fonction d'aides-soignants, sans diplôme, sont décomptés comme aides-soignants dans "
         "le tableau des effectifs transmis à l'autorité de tarification",
         "Ne décompter comme aides-soignants que les agents titulaires du diplôme"),
        ("Des agents non diplômés sont rémunérés sur des postes d'aides-soignants financés par la section soins, "
         "soit {fte} ETP",
         "Affecter aux postes d'aides-soignants financés des professionnels diplômés"),
    ]},
    "over_capacity": {"theme": "financial", "kind": "ecart", "refs": [("L.313-1", "CASF")], "variants": [
        ("Le nombre de résidents accueillis, {residents}, dépasse la capacité autorisée de {capacity} places",
         "Ramener sans délai le nombre de résidents accueillis à la capacité autorisée"),
        ("Le jour de la visite, {residents} résidents étaient hébergés pour {capacity} places autorisées : {n} "
         "chambres individuelles ont été transformées en chambres doubles sans autorisation",
         "Rétablir les chambres individuelles et respecter la capacité autorisée"),
    ]},
    "head_office_fees_excess": {"theme": "financial", "kind": "ecart", "refs": [("R.314-88", "CASF")], "variants": [
        ("Les frais de siège facturés à l'établissement, {amount} € en {year}, ne reposent sur aucune autorisation "
         "de l'autorité de tarification",
         "Solliciter l'autorisation des frais de siège ou cesser de les facturer à l'établissement"),
        ("Les frais de siège représentent {per_place} € par place, plus du double de la médiane des établissements "
         "comparables, sans clé de répartition justifiée",
         "Justifier la clé de répartition des frais de siège et en ramener le montant à un niveau comparable"),
    ]},
    "resident_overcharging": {"theme": "residents_rights", "kind": "ecart", "refs": [("L.314-10-1", "CASF")], "variants": [
        ("Un supplément de {monthly} € par mois est facturé aux résidents de l'unité protégée en sus du tarif "
         "hébergement arrêté, sans base dans le contrat de séjour",
         "Cesser de facturer ce supplément et rembourser les résidents concernés"),
        ("Les protections pour l'incontinence, comprises dans le tarif dépendance, sont indûment facturées aux "
         "familles ({amount} € prélevés en {year})",
         "Rembourser aux familles les sommes prélevées au titre des protections"),
        ("Un forfait d'entrée de {entry} €, non prévu par le contrat de séjour, est perçu à l'admission de chaque "
         "résident",
         "Supprimer le forfait d'entrée et rembourser les résidents qui l'ont acquitté"),
    ]},
}

# A referral to the public prosecutor is stated in the conclusion, not as a finding.
PROSECUTOR_REFERRAL = [
    "Compte tenu de la gravité des faits, la directrice générale de l'ARS a saisi le procureur de la République "
    "sur le fondement de l'article 40 du code de procédure pénale.",
    "Les faits relevés ont été portés à la connaissance du procureur de la République par courrier du {date}.",
    "Un signalement au titre de l'article 40 du CPP a été adressé au parquet de {city} le {date}.",
]

# Neutral prose that makes reports long, with no personal data.
CONTEXT_SENTENCES = [
    "La mission s'est appuyée sur l'examen des documents transmis, des entretiens avec les professionnels et une visite des locaux.",
    "L'établissement est organisé en trois unités de vie, dont une unité protégée pour les résidents atteints de troubles cognitifs.",
    "Le dernier contrat pluriannuel d'objectifs et de moyens a été signé pour la période 2022-2026.",
    "Les constats ci-dessous portent sur la situation observée le jour de la visite et sur les pièces communiquées.",
    "Les attendus réglementaires rappelés dans chaque partie sont issus du code de l'action sociale et des familles.",
    "L'équipe d'inspection a consulté les plannings des quatre dernières semaines ainsi que les fiches de poste.",
    "Le projet de soins est décliné en protocoles dont la mise à jour relève du médecin coordonnateur.",
    "Les repas sont préparés sur place par une équipe de cuisine salariée de l'établissement.",
    "La pharmacie d'officine partenaire assure la préparation des doses à administrer selon une convention.",
    "Le rapport provisoire a été adressé à l'organisme gestionnaire dans le cadre de la procédure contradictoire.",
    "Les résidents rencontrés ont exprimé leur satisfaction quant aux animations proposées l'après-midi.",
    "Le taux d'absentéisme du personnel soignant atteint 11 % sur l'année écoulée.",
    "La commission de coordination gériatrique ne s'est réunie qu'une fois au cours de l'année.",
    "Les locaux, construits en 1987, ont fait l'objet d'une rénovation partielle en 2016.",
    "La liste des documents demandés figure en annexe au présent rapport.",
    "Les entretiens se sont déroulés dans le respect de la confidentialité des échanges.",
]
