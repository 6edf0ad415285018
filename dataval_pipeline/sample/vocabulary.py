"""Word lists and sentence banks of the synthetic reports (French, after real ARS reports)."""

FIRST_NAMES_F = [
    "Karine", "Sophie", "Fatima", "Claire", "Nathalie", "Isabelle", "Aurélie", "Monique", "Josiane",
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

# Findings per theme: (kind, text). Écarts cite a binding reference; remarques do not.
# {capacity}, {medec_fte}, {night_staff}, {residents} are filled from the establishment.
FINDINGS = {
    "staffing": [
        ("ecart", "Le temps de médecin coordonnateur est de {medec_fte} ETP pour {capacity} places, "
                  "inférieur au minimum réglementaire, ce qui contrevient à l'article D.312-156 du CASF."),
        ("ecart", "Des agents de service hospitalier non diplômés, faisant fonction d'aides-soignants, "
                  "distribuent les médicaments et réalisent des pansements, ce qui constitue un glissement "
                  "de tâches contraire à l'article R.4311-4 du CSP."),
        ("remarque", "Le recours à l'intérim est important : 14 postes d'aides-soignants sont vacants et les "
                     "plannings montrent des journées à effectif réduit."),
        ("remarque", "La nuit, {night_staff} agents assurent seuls la surveillance des {residents} résidents, "
                     "sans infirmier présent ni astreinte formalisée."),
    ],
    "governance": [
        ("ecart", "Le conseil de la vie sociale ne s'est pas réuni depuis deux ans, ce qui contrevient à "
                  "l'article D.311-16 du CASF."),
        ("ecart", "Le projet d'établissement est échu depuis 2019 et n'a pas été actualisé, en méconnaissance "
                  "de l'article L.311-8 du CASF."),
        ("remarque", "Le document unique de délégation du directeur n'est pas formalisé et l'organigramme "
                     "transmis ne correspond pas à l'organisation constatée."),
        ("remarque", "La démarche de gestion des risques n'est pas structurée : aucune cartographie des "
                     "risques n'a été produite."),
    ],
    "medication": [
        ("ecart", "La traçabilité de l'administration des médicaments n'est pas assurée en temps réel, ce "
                  "qui contrevient à l'article R.4312-38 du CSP."),
        ("ecart", "Les piluliers sont préparés par des agents non habilités, en méconnaissance de l'article "
                  "L.313-26 du CASF."),
        ("remarque", "Le chariot de médicaments est laissé sans surveillance dans le couloir, non verrouillé."),
        ("remarque", "Les médicaments stupéfiants ne font pas l'objet d'un inventaire contradictoire régulier."),
    ],
    "mistreatment": [
        ("ecart", "Des propos humiliants tenus par un agent envers un résident ont été rapportés sans "
                  "qu'aucun signalement ne soit adressé aux autorités, ce qui contrevient à l'article "
                  "L.331-8-1 du CASF."),
        ("remarque", "Aucune procédure de prévention et de traitement de la maltraitance n'est diffusée "
                     "aux équipes."),
        ("remarque", "Plusieurs résidents ont été trouvés en chemise de nuit à 15 heures, sans que leurs "
                     "souhaits aient été recueillis."),
    ],
    "residents_rights": [
        ("ecart", "Les contrats de séjour ne comportent pas l'annexe relative aux mesures particulières "
                  "de liberté d'aller et venir, ce qui contrevient à l'article L.311-4-1 du CASF."),
        ("remarque", "Le règlement de fonctionnement n'est pas remis aux familles lors de l'admission."),
        ("remarque", "Les toilettes sont réalisées portes ouvertes, au détriment de l'intimité des résidents."),
    ],
    "restraint": [
        ("ecart", "Des contentions physiques sont mises en place sans prescription médicale ni "
                  "réévaluation, ce qui contrevient à l'article L.311-4-1 du CASF."),
        ("remarque", "Des chambres sont fermées à clé la nuit sans décision tracée dans le dossier."),
    ],
    "hygiene": [
        ("ecart", "Les déchets d'activités de soins à risques infectieux sont stockés dans un local non "
                  "sécurisé, ce qui contrevient à l'article R.1335-7 du CSP."),
        ("remarque", "Le circuit du linge propre et du linge sale se croise dans la buanderie."),
        ("remarque", "Aucun protocole de gestion d'une épidémie n'a été actualisé depuis 2021."),
    ],
    "building_safety": [
        ("ecart", "Le registre de sécurité incendie n'est pas tenu à jour et l'exercice d'évacuation annuel "
                  "n'a pas été réalisé, ce qui contrevient à l'article R.143-38 du code de la construction "
                  "et de l'habitation."),
        ("remarque", "Le système d'appel malade est défaillant dans l'aile B : les appels ne sont pas "
                     "reportés sur les téléphones des soignants."),
        ("remarque", "Plusieurs chambres présentent des traces d'humidité et des sols dégradés."),
    ],
    "nutrition": [
        ("ecart", "Le jeûne nocturne dépasse 12 heures pour l'ensemble des résidents, ce qui contrevient "
                  "aux dispositions de l'article D.312-158 du CASF."),
        ("remarque", "Les résidents ne sont pas pesés mensuellement et la dénutrition n'est pas dépistée."),
        ("remarque", "Les textures modifiées ne respectent pas les prescriptions de l'orthophoniste."),
    ],
    "care_quality": [
        ("ecart", "Les plans de soins individualisés ne sont pas élaborés pour 40 % des résidents, ce qui "
                  "contrevient à l'article D.312-158 du CASF."),
        ("remarque", "La prévention des escarres n'est pas organisée : aucune évaluation du risque n'est "
                     "tracée dans les dossiers de soins."),
        ("remarque", "Les transmissions entre équipes de jour et de nuit ne sont pas écrites."),
    ],
    "financial": [
        ("ecart", "Des charges de personnel relevant de la section hébergement (agents d'entretien et "
                  "personnel administratif) sont imputées sur la section soins financée par l'assurance "
                  "maladie, ce qui contrevient à l'article R.314-166 du CASF.", "care_budget_misuse"),
        ("ecart", "Le nombre de résidents accueillis, {residents}, dépasse la capacité autorisée de "
                  "{capacity} places, ce qui contrevient à l'article L.313-1 du CASF.", "over_capacity"),
        ("remarque", "Les excédents de la section soins des trois derniers exercices n'ont pas été "
                     "affectés conformément à la décision de l'autorité de tarification."),
        ("remarque", "Les frais de siège refacturés, {head_office_fees} euros, ne sont pas justifiés par "
                     "une décision d'autorisation."),
    ],
    "training": [
        ("ecart", "Le personnel de nuit n'a pas été formé aux gestes d'urgence, contrairement à l'article "
                  "D.312-155-0 du CASF."),
        ("remarque", "Le plan de formation ne prévoit aucune formation à la bientraitance."),
    ],
    "adverse_events": [
        ("ecart", "Une chute suivie d'une fracture n'a pas été déclarée à l'autorité administrative comme "
                  "événement indésirable grave, ce qui contrevient à l'article R.331-8 du CASF."),
        ("remarque", "Les réclamations des familles ne font pas l'objet d'un registre ni d'une réponse écrite."),
    ],
}

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
