"""Words that decide what is a name and what must stay readable.

Domain knowledge, not tuning: titles that introduce people, French first names
that make an untitled "Prénom NOM" a person, and the report vocabulary that NER
tends to mistake for names.
"""

TITLES = (
    "M.", "MM.", "Mme", "Mmes", "Mlle", "Madame", "Monsieur", "Mademoiselle", "Messieurs", "Mesdames",
    "Dr", "Dr.", "Docteur", "Pr", "Pr.", "Professeur", "Me", "Maître",
)

# Common French first names (INSEE top names of the 1920s-2000s and frequent compound forms).
FIRST_NAMES = {
    n.casefold() for n in """
    Jean Pierre Michel André Philippe René Louis Alain Jacques Bernard Marcel Daniel Roger Robert Paul Claude
    Christian Henri Georges Nicolas François Patrick Gérard Christophe Joseph Julien Maurice Raymond Thierry
    Lucien Marc Frédéric Pascal Eric Éric David Stéphane Olivier Laurent Sébastien Didier Dominique Guy Antoine
    Mathieu Matthieu Vincent Alexandre Thomas Maxime Romain Fabrice Bruno Yves Serge Gilles Jérôme Franck Hervé
    Patrice Emmanuel Cédric Guillaume Benoît Arnaud Xavier Loïc Yann Yannick Gaël Étienne Etienne Raphaël Hugo
    Lucas Léo Gabriel Arthur Jules Adam Louis Mohamed Mohammed Ahmed Karim Abdel Rachid Mustapha Ali Youssef
    Marie Jeanne Françoise Monique Catherine Nathalie Isabelle Jacqueline Anne Sylvie Martine Madeleine Nicole
    Suzanne Hélène Christine Marguerite Denise Louise Christiane Yvonne Valérie Sophie Sandrine Stéphanie Céline
    Véronique Chantal Germaine Odette Paulette Simone Josiane Brigitte Claire Camille Julie Aurélie Émilie Emilie
    Élodie Elodie Laure Laura Léa Manon Chloé Emma Inès Sarah Alice Lucie Juliette Pauline Mathilde Charlotte
    Caroline Virginie Corinne Patricia Nadia Fatima Yasmina Samia Karima Leïla Leila Aïcha Awa Fatou Mariam
    Karine Agnès Béatrice Danielle Colette Mireille Ginette Odile Annie Claudine Michèle Michelle Evelyne
    Éveline Geneviève Bernadette Thérèse Solange Lucienne Marcelle Raymonde Huguette Gisèle Renée Maëlle Océane
    Anne-Marie Marie-Claude Marie-Hélène Marie-Thérèse Marie-France Marie-Christine Jean-Pierre Jean-Luc
    Jean-Claude Jean-Marc Jean-Paul Jean-François Jean-Michel Jean-Louis Jean-Baptiste Jean-Jacques Paul-Henri
    Pierre-Yves Marie-José Marie-Laure Anne-Sophie
    """.split()
}

# Capitalised words of reports that are not names (NER sometimes tags them PER).
NOT_NAMES = {
    w.casefold() for w in """
    Écart Ecart Écarts Remarque Remarques Constat Constats Attendus Contact Inspection Contrôle Rapport
    Conclusion Introduction Annexe Injonction Prescription Recommandation Mesure Délai Page Établissement
    Etablissement EHPAD ARS CASF CSP ETP MEDEC IDEC CPOM ERRD FINESS RPPS NIR IBAN CVS ASH AS IDE PUI SAS SARL
    Agence Délégation Direction Directeur Directrice Président Présidente Préfet Médecin Infirmière Infirmier
    Cadre Madame Monsieur Docteur Lors Le La Les Des Du De Un Une Sa Son Ses Sur Dans Pour Par Selon Aucune
    Aucun Elle Il Ils Elles Fait Plusieurs Certains Cette Ces Ce Résidence Résidences Mutualité Fondation
    Association Groupe Centre Santé Département Région Conseil
    """.split()
}

# Words before an address that make it a person's home (remove) or the establishment's (keep).
PERSON_ADDRESS_CUES = ("domicilié", "domiciliée", "domicilié(e)", "demeurant", "résidant", "résidente", "habitant",
                       "habite", "adresse personnelle", "adresse du domicile", "vit au", "vit à")
ESTABLISHMENT_ADDRESS_CUES = ("ehpad", "établissement", "etablissement", "finess", "situé", "située", "sis ",
                              "siège", "résidence", "organisme gestionnaire")

MONTHS = ("janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout", "septembre",
          "octobre", "novembre", "décembre", "decembre")
STREET_TYPES = ("rue", "avenue", "av.", "boulevard", "bd", "allée", "allee", "impasse", "chemin", "place", "route",
                "quai", "cours", "square", "passage", "lotissement", "résidence", "hameau", "voie", "sentier",
                "faubourg", "rond-point", "esplanade", "promenade", "cité", "parvis")
