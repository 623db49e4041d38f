"""Word lists for the synthetic laboratory: fictitious people, places and birth places.

Common French names, written by hand; any resemblance to a real person is a matter of frequency.
Accents, hyphens, spaces and apostrophes are deliberate: they exercise encoders and detectors.
Lists are ordered roughly by frequency, which the generator turns into Zipf-like weights.
"""

from __future__ import annotations

from typing import Final

# fmt: off
SURNAMES: Final = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal",
    "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix",
    "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland",
    "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuis", "Guillot", "Hubert", "Berger",
    "Carpentier", "Sanchez", "Dupuy", "Moulin", "Louis", "Deschamps", "Huet", "Vasseur", "Perez",
    "Boucher", "Fleury", "Royer", "Klein", "Jacquet", "Adam", "Paris", "Poirier", "Marty",
    "Aubry", "Guyot", "Carré", "Charles", "Renault", "Charpentier", "Ménard", "Maillard",
    "Baron", "Bertin", "Bailly", "Hervé", "Schneider", "Fernandez", "Le Gall", "Collet", "Léger",
    "Bouvier", "Julien", "Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain",
    "Breton", "Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier",
    "Leblanc", "Barré", "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob",
    "Monnier", "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne", "Grondin", "Poulain",
    "Tessier", "Chevallier", "Collin", "Chauvin", "Da Silva", "Bouchet", "Gay", "Lemaître",
    "Bénard", "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret", "Barthélemy",
    "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier",
    "Laporte", "N'Diaye", "D'Almeida", "Diallo", "Nguyen", "Benali", "Haddad", "Traoré",
    "Le Bihan", "Santoni", "Casanova", "Luciani", "Leca", "Filippi", "Mattei", "Ferracci",
    "Giacomoni", "Dupont-Moreau", "Saint-Martin", "Lefèvre-Durand", "N'Guessan", "O'Neill",
    "Desmarais", "Œillet",
)

MALE_GIVEN: Final = (
    "Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Jacques", "Bernard", "Patrick",
    "Daniel", "Christian", "Nicolas", "Éric", "Frédéric", "Laurent", "Stéphane", "Thierry",
    "Christophe", "Pascal", "David", "Sébastien", "Julien", "Olivier", "Gérard", "Didier",
    "Dominique", "Bruno", "François", "Thomas", "Jean-Pierre", "Jean-Claude", "Jean-Luc",
    "Jean-Marc", "Jean-François", "Jean-Paul", "Jean-Louis", "Jean-Michel", "Claude", "René",
    "Serge", "Vincent", "Maxime", "Alexandre", "Antoine", "Guillaume", "Romain", "Mathieu",
    "Kévin", "Anthony", "Jérôme", "Cédric", "Fabrice", "Franck", "Yves", "Marc", "Gilles",
    "Lucas", "Hugo", "Louis", "Gabriel", "Raphaël", "Arthur", "Jules", "Léo", "Adam", "Nathan",
    "Théo", "Ethan", "Noah", "Paul", "Enzo", "Mathis", "Tom", "Timéo", "Sacha", "Maël",
    "Clément", "Baptiste", "Quentin", "Benjamin", "Florian", "Adrien", "Jonathan", "Mickaël",
    "Grégory", "Ludovic", "Arnaud", "Benoît", "Hervé", "Joël", "Roger", "Marcel", "Henri",
    "Georges", "Robert", "Lucien", "Raymond", "Maurice", "Guy", "Roland", "Jacky", "Mohamed",
    "Karim", "Mehdi", "Yanis", "Rayan", "Amine", "Bilal", "Moussa", "Mamadou", "Ibrahima",
    "Youssef", "Ange", "Jean-Baptiste", "Pierre-Antoine", "Marc-Antoine", "Loïc", "Gaël",
    "Yannick", "Erwan", "Killian", "Matteo", "Lorenzo", "Valentin", "Damien", "Cyril", "Régis",
    "Lionel", "Emmanuel", "Sylvain", "Xavier", "Jérémy", "Aurélien", "Bastien", "Corentin",
    "Dylan", "Gaëtan", "Hadrien", "Noé", "Aaron", "Elias", "Léon", "Victor", "Oscar", "Félix",
    "Marius", "Augustin", "Thibault", "Rémi", "Ghjuvanni",
)

FEMALE_GIVEN: Final = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Christine", "Monique",
    "Valérie", "Sandrine", "Véronique", "Sophie", "Nicole", "Stéphanie", "Céline", "Martine",
    "Jacqueline", "Anne", "Julie", "Aurélie", "Chantal", "Christiane", "Brigitte", "Caroline",
    "Émilie", "Camille", "Laura", "Sarah", "Manon", "Léa", "Chloé", "Emma", "Jade", "Louise",
    "Alice", "Lina", "Rose", "Anna", "Mia", "Inès", "Ambre", "Juliette", "Léna", "Zoé", "Lou",
    "Agathe", "Mila", "Clémence", "Pauline", "Mathilde", "Élodie", "Audrey", "Virginie",
    "Karine", "Laurence", "Patricia", "Danielle", "Nadine", "Michèle", "Josiane", "Annie",
    "Hélène", "Corinne", "Florence", "Delphine", "Laetitia", "Mélanie", "Marion", "Charlotte",
    "Lucie", "Océane", "Justine", "Margaux", "Élise", "Maëlle", "Anaïs", "Morgane", "Amandine",
    "Jessica", "Vanessa", "Cindy", "Coralie", "Marine", "Marie-Claude", "Marie-Christine",
    "Marie-Thérèse", "Anne-Marie", "Marie-Hélène", "Marie-France", "Anne-Sophie", "Marie-Laure",
    "Jeanne", "Geneviève", "Denise", "Simone", "Yvette", "Odette", "Paulette", "Suzanne",
    "Madeleine", "Germaine", "Renée", "Colette", "Lucienne", "Ginette", "Huguette", "Josette",
    "Fatima", "Aïcha", "Khadija", "Nadia", "Samia", "Leïla", "Yasmine", "Fatoumata", "Aminata",
    "Awa", "Mariama", "Nour", "Maëva", "Éléonore", "Héloïse", "Capucine", "Margot", "Romane",
    "Clara", "Eva", "Lola", "Victoire", "Apolline", "Constance", "Bérénice", "Solène", "Gaëlle",
    "Nolwenn", "Aurore", "Estelle", "Fabienne", "Muriel", "Dominique", "Claire", "Béatrice",
    "Agnès", "Sabine", "Séverine", "Ophélie", "Noémie", "Laure", "Cécile", "Angélique", "Léonie",
    "Joséphine", "Zoë",
)

STREET_TYPES: Final = (
    ("rue", 50), ("avenue", 14), ("boulevard", 6), ("place", 5), ("chemin", 7), ("allée", 5),
    ("impasse", 5), ("quai", 2), ("cours", 2), ("route", 3), ("montée", 1),
)

STREET_NAMES: Final = (
    "de la République", "Victor Hugo", "Jean Jaurès", "Pasteur", "de la Gare", "de l'Église",
    "du Général de Gaulle", "des Lilas", "Jeanne d'Arc", "Gambetta", "de la Paix", "du Moulin",
    "des Écoles", "Émile Zola", "Voltaire", "de Verdun", "Garibaldi", "Paul Bert", "Vauban",
    "Molière", "des Tilleuls", "du Stade", "de la Liberté", "d'Alsace-Lorraine", "Lafayette",
    "Marcel Pagnol", "Anatole France", "Saint-Exupéry", "des Canuts", "de la Croix-Rousse",
    "Édouard Herriot", "Jean Mermoz", "Sainte-Anne", "des Acacias", "du 8 Mai 1945",
    "du 11 Novembre 1918", "Jean Moulin", "Foch", "Carnot", "Pierre Brossolette", "Napoléon",
    "Fesch", "des Érables", "de l'Hôpital", "Marie Curie", "Louis Pergaud", "d'Auvergne",
)

# (postal code, city, weight): a Lyon laboratory with a few distant and Corsican patients.
CITIES: Final = (
    ("69001", "Lyon", 4), ("69002", "Lyon", 4), ("69003", "Lyon", 8), ("69004", "Lyon", 4),
    ("69005", "Lyon", 4), ("69006", "Lyon", 5), ("69007", "Lyon", 6), ("69008", "Lyon", 6),
    ("69009", "Lyon", 5), ("69100", "Villeurbanne", 12), ("69200", "Vénissieux", 6),
    ("69300", "Caluire-et-Cuire", 4), ("69500", "Bron", 4), ("69120", "Vaulx-en-Velin", 4),
    ("69800", "Saint-Priest", 4), ("69600", "Oullins-Pierre-Bénite", 3), ("69130", "Écully", 2),
    ("69400", "Villefranche-sur-Saône", 2), ("69140", "Rillieux-la-Pape", 2),
    ("69160", "Tassin-la-Demi-Lune", 2), ("38200", "Vienne", 1), ("42000", "Saint-Étienne", 1),
    ("01000", "Bourg-en-Bresse", 1), ("38000", "Grenoble", 1), ("73000", "Chambéry", 1),
    ("74000", "Annecy", 1), ("26000", "Valence", 1), ("71100", "Chalon-sur-Saône", 1),
    ("75011", "Paris", 1), ("13001", "Marseille", 1), ("31000", "Toulouse", 1),
    ("59000", "Lille", 1), ("97400", "Saint-Denis", 0.3), ("20000", "Ajaccio", 1.4),
    ("20090", "Ajaccio", 0.6), ("20200", "Bastia", 1.2), ("20600", "Bastia", 0.4),
    ("20220", "L'Île-Rousse", 0.2), ("20137", "Porto-Vecchio", 0.3),
)

# Birth department for the NIR, beside Corsica ("2A", "2B") and abroad ("99") handled apart.
BIRTH_DEPTS: Final = (
    ("69", 30), ("01", 4), ("38", 5), ("42", 4), ("71", 2), ("26", 2), ("07", 2), ("73", 2),
    ("74", 2), ("75", 6), ("13", 3), ("59", 2), ("92", 2), ("93", 2), ("94", 2), ("33", 1),
    ("31", 1), ("67", 1), ("44", 1), ("35", 1), ("29", 1), ("63", 2), ("03", 1), ("21", 1),
    ("25", 1), ("54", 1), ("57", 1), ("62", 1), ("76", 1), ("06", 1), ("34", 1), ("83", 1),
    ("84", 1), ("30", 1), ("43", 1), ("15", 1), ("39", 1), ("58", 1), ("87", 1), ("45", 1),
)

# INSEE country codes (the NIR commune field of people born abroad, department "99").
BIRTH_COUNTRIES: Final = (
    "352", "350", "351", "139", "127", "134", "341", "335", "326", "322", "208", "243", "114",
    "131", "109", "132", "397", "333",
)

SPECIALTIES: Final = (
    ("Médecine générale", 70), ("Gynécologie-obstétrique", 6), ("Cardiologie", 4),
    ("Endocrinologie-diabétologie", 3), ("Oncologie médicale", 3), ("Maladies infectieuses", 2),
    ("Pédiatrie", 4), ("Néphrologie", 2), ("Hépato-gastro-entérologie", 2), ("Psychiatrie", 2),
    ("Sage-femme", 2),
)

BIOLOGIST_SPECIALTY: Final = "Biologie médicale"

# Site code -> label; the last one serves the Corsican patients.
SITES: Final = (
    ("LYO1", "Site Lyon Part-Dieu"),
    ("LYO2", "Site Lyon Croix-Rousse"),
    ("VIL1", "Site Villeurbanne Gratte-Ciel"),
    ("VEN1", "Site Vénissieux Centre"),
    ("CAL1", "Site Caluire Montessuy"),
    ("AJA1", "Site Ajaccio Les Cannes"),
)

MAIL_DOMAINS: Final = (
    "exemple.fr", "exemple.com", "courriel.example", "messagerie.example", "fai-exemple.fr",
)

WEAK_PASSWORDS: Final = (
    "azerty", "azerty123", "123456", "motdepasse", "soleil", "labo2019", "Bonjour1", "marseille",
    "loulou", "doudou", "chouchou", "123456789",
)
# fmt: on
