#!/usr/bin/env python3
"""Generates prompts/tune.jsonl, the instruction prompts the base model answers to make
its own BiTA tuning data.

Purpose: a broad, varied, reproducible set of user requests. The base model answers them
greedily and the mask tokens learn to predict those answers, so variety in task kind,
length, register and subject matters more than quality of any single prompt.

How: seeded combination of hand-written parts in this file: everyday topics, goals and
dilemmas (chat), writing forms, subjects and constraints (writing), concepts and audiences
(explanation, qa), function specifications and code snippets in several languages (code),
word-problem templates with random numbers (math), and passages, both hand-written and
assembled from news-like sentence templates, with many summary instructions (summarization).
About a third of chat, writing, explanation and code prompts get one or two follow-up turns;
about a quarter of all prompts get a system prompt.

Output line schema (same as prompts/bench.jsonl):
    {"id": "tune-0001", "category": "chat|writing|explanation|qa|code|math|summarization",
     "turns": ["user message", ...1-3 turns], "system": "..."?}

Checks (asserted): every prompt is distinct; no turn equals or contains a first turn of
prompts/bench.jsonl; no bench passage, code stub function name or question appears in
any tune prompt.

Usage: python3 scripts/reference/gen_tune_prompts.py [--seed 2401] [--count 1800]
          [--bench prompts/bench.jsonl] [--out prompts/tune.jsonl]
Deterministic for a given seed and count.
"""
import argparse
import json
import os
import random
import re
import sys

# --------------------------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------------------------

TOPICS = [
    "gardening", "saving money", "learning a new language", "running", "baking bread",
    "photography", "camping", "moving to a new city", "public speaking", "time management",
    "painting with watercolors", "starting a small business", "playing the guitar",
    "keeping a journal", "volunteering", "bird watching", "composting", "cycling to work",
    "learning to swim", "home repairs", "chess", "knitting", "studying for exams",
    "raising chickens", "making friends as an adult", "working from home", "meditation",
    "hiking", "board games", "cooking for one person", "writing poetry", "recycling",
    "taking care of a puppy", "renting a first apartment", "learning to code",
    "planning a wedding", "traveling on a budget", "growing herbs indoors", "yoga",
    "reading more books", "fixing a bicycle", "making pottery", "fishing", "stargazing",
    "organizing a closet", "learning to draw", "cooking rice", "caring for a goldfish",
    "writing a resume", "preparing for a marathon", "keeping bees", "sewing", "woodworking",
    "birthday parties for children", "taking notes in class", "being a good listener",
    "riding a horse", "visiting museums", "making soup", "reducing screen time",
]

GOALS = [
    "learn to play the piano", "run my first five kilometers", "eat more vegetables",
    "wake up earlier", "read twelve books this year", "improve my handwriting",
    "get better at math", "keep my room tidy", "learn basic Spanish", "save for a vacation",
    "start a vegetable garden", "drink more water", "make new friends in my town",
    "become a better cook", "stop procrastinating", "learn to juggle", "write a short novel",
    "get stronger without a gym", "learn to type faster", "spend less on groceries",
    "take better photos with my phone", "learn the names of the stars",
    "be more confident at work", "build a birdhouse", "start a podcast",
    "learn to bake cakes", "practice mindfulness", "memorize a poem", "learn sign language",
    "plan a road trip", "start running in the morning", "keep in touch with old friends",
    "learn to knit a scarf", "understand the news better", "speak up in meetings",
    "organize my digital photos", "cook dinner in under thirty minutes", "learn to sketch faces",
    "prepare for a job interview", "become more patient", "keep a houseplant alive",
    "teach my dog to sit", "learn chess openings", "write letters by hand", "sleep better",
]

CHOICES = [
    ("a cat", "a dog"), ("living in a city", "living in the countryside"),
    ("renting", "buying a home"), ("taking the train", "driving"),
    ("paper books", "e-books"), ("working in an office", "working from home"),
    ("a laptop", "a desktop computer"), ("studying alone", "studying in a group"),
    ("cooking at home", "eating out"), ("a gas stove", "an electric stove"),
    ("running outdoors", "running on a treadmill"), ("a big party", "a small dinner"),
    ("learning French", "learning German"), ("summer holidays", "winter holidays"),
    ("a smartwatch", "a regular watch"), ("handwritten notes", "typed notes"),
    ("a bicycle", "an electric scooter"), ("morning workouts", "evening workouts"),
    ("tea", "coffee"), ("camping in a tent", "staying in a cabin"),
]

PEOPLE = [
    "my grandmother", "a ten-year-old boy", "my new coworker", "a friend who loves hiking",
    "my teenage sister", "a teacher who is retiring", "my neighbor who just had a baby",
    "a friend who is moving abroad", "my father who likes fishing", "a coworker who loves tea",
    "a student starting university", "my aunt who enjoys gardening", "a friend recovering from a cold",
]

CHAT_TEMPLATES = [
    "I want to {goal}. Where should I start?",
    "Can you give me a simple plan to {goal} in the next month?",
    "What are common mistakes people make when they try to {goal}?",
    "I've tried to {goal} before and gave up. Any tips to stay motivated?",
    "What are the pros and cons of {a} versus {b}?",
    "I can't decide between {a} and {b}. Can you help me think it through?",
    "What would you recommend as a gift for {person}?",
    "Can you suggest a fun weekend activity for {person}?",
    "Give me five beginner tips about {topic}.",
    "What do I need to get started with {topic}?",
    "What is the most important thing to know about {topic}?",
    "Can you recommend a daily routine that includes {topic}?",
    "My friend says {topic} is boring. How can I convince them otherwise?",
    "How much time per week should a beginner spend on {topic}?",
    "I'm feeling unmotivated today. Can you suggest a small task related to {topic}?",
    "What questions should I ask before I start {topic}?",
    "What's a good way to explain my interest in {topic} to my family?",
    "How can I combine {topic} with {topic2}?",
]

CHAT_FOLLOW_UPS = [
    "Can you make that shorter?", "Which of these is the most important?",
    "Can you give me an example?", "What if I only have ten minutes a day?",
    "How would this be different for a child?", "Thanks! Can you put that into a checklist?",
    "What should I avoid?", "Can you explain the first point in more detail?",
    "What would it cost, roughly?", "How do I know if it's working?",
    "Could you say that in a more encouraging way?", "What should I do first tomorrow?",
]

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

WRITING_FORMS = [
    "a short poem", "a haiku", "a limerick", "a four-line rhyme", "a short story",
    "the opening paragraph of a novel", "a diary entry", "a short dialogue", "a letter",
    "a postcard message", "a product description", "an advertisement slogan",
    "a short speech", "a blog post introduction", "a restaurant review", "a fairy tale",
    "a news headline and first sentence", "a motivational quote", "a song chorus",
    "a short fable with a moral", "a social media post", "a thank-you note",
    "a travel guide paragraph", "a birthday card message", "a riddle",
]

WRITING_SUBJECTS = [
    "a rainy afternoon", "an old lighthouse", "a lost umbrella", "the first day of school",
    "a dragon who is afraid of the dark", "a city at night", "a grandmother's kitchen",
    "a robot learning to paint", "the smell of fresh bread", "a train journey through mountains",
    "a cat who wants to be a detective", "autumn leaves", "a quiet library", "the ocean at dawn",
    "a forgotten birthday", "a tiny village on a hill", "a snowman who wants to travel",
    "a busy airport", "an unexpected friendship", "a broken clock", "a summer thunderstorm",
    "a lost puppy finding its way home", "a garden in spring", "the last day of summer camp",
    "a new pair of shoes", "a mysterious key", "a penguin in the desert", "a street musician",
    "a moon that forgot to rise", "a kind bus driver", "a hot cup of cocoa", "a school play",
    "a bakery at sunrise", "a hidden waterfall", "a family road trip", "a shy firefly",
    "a bicycle with a mind of its own", "a field of sunflowers", "a message from the future",
    "a friendly ghost", "the first snowfall", "an astronaut missing home", "a lemonade stand",
]

WRITING_CONSTRAINTS = [
    "", "", "", "Keep it under 100 words.", "Use a cheerful tone.", "Make it funny.",
    "Write it for young children.", "Use simple words.", "Make it sad but hopeful.",
    "Write it in the present tense.", "End with a surprise.", "Use a formal tone.",
    "Include a colour in every sentence.", "Make it mysterious.", "Keep it to three sentences.",
]

WRITING_TEMPLATES = [
    "Write {form} about {subject}. {constraint}",
    "Please write {form} about {subject}. {constraint}",
    "Could you write {form} about {subject}? {constraint}",
    "I need {form} about {subject}. {constraint}",
    "Create {form} inspired by {subject}. {constraint}",
]

PRACTICAL_WRITING = [
    "Write an email to my landlord asking when the heating will be repaired.",
    "Write a short message to my team saying the meeting is moved to Thursday.",
    "Write a polite complaint to a shop about a late delivery.",
    "Write an invitation for a neighborhood picnic on Sunday afternoon.",
    "Write a short note to my child's teacher explaining that she was sick yesterday.",
    "Write a message welcoming a new member to our book club.",
    "Write a short apology to a friend for missing their party.",
    "Write a notice for the office kitchen asking people to wash their cups.",
    "Write an announcement that the swimming pool will be closed for cleaning next week.",
    "Write a reference sentence for a former student who is applying for a summer job.",
    "Write a short bio for a local baker to put on her website.",
    "Write a reminder email about a library book that is overdue.",
    "Write a message asking a colleague to review my report by Friday.",
    "Write a short introduction of myself for the first day of a cooking class.",
    "Write a farewell message for a coworker who is leaving the company.",
    "Write a request to my manager to take two days off next month.",
    "Write a text inviting my cousin to go hiking this weekend.",
    "Write a short newsletter paragraph about the school's new vegetable garden.",
    "Write a sign for a lost cat, with a description and a phone number placeholder.",
    "Write a short announcement for a charity bake sale.",
]

WRITING_FOLLOW_UPS = [
    "Make it shorter.", "Now make it rhyme.", "Rewrite it in a more formal tone.",
    "Can you give it a title?", "Make it sound more exciting.", "Rewrite it for a five-year-old.",
    "Add one more paragraph.", "Change the ending.", "Now write it from a different point of view.",
    "Translate the first sentence into French.", "Make it more polite.", "Use fewer adjectives.",
]

# --------------------------------------------------------------------------------------------
# Explanation and short questions
# --------------------------------------------------------------------------------------------

# Concepts by domain: comparisons ("the difference between A and B") stay inside a domain.
CONCEPT_DOMAINS = {
    "economy": ["inflation", "compound interest", "supply and demand", "the stock market", "taxes",
                "a budget", "interest rates", "a mortgage", "insurance", "a trade deficit"],
    "society": ["democracy", "an election", "the printing press", "the Roman Empire",
                "the Industrial Revolution", "pyramids"],
    "life": ["the immune system", "evolution", "vaccines", "the heart", "the digestive system",
             "bacteria", "viruses", "sleep", "memory", "muscles", "the food chain", "fossils",
             "dinosaurs"],
    "physics": ["electricity", "black holes", "rainbows", "magnets", "sound waves", "friction",
                "the moon's phases", "batteries", "the speed of light", "atoms",
                "chemical reactions", "the periodic table", "the solar system"],
    "earth": ["the water cycle", "the greenhouse effect", "volcanoes", "earthquakes", "clouds",
              "renewable energy", "plate tectonics", "recycling", "weather forecasts",
              "solar panels", "wind turbines", "glaciers", "deserts", "rainforests",
              "coral reefs", "erosion"],
    "math": ["fractions", "probability", "averages", "percentages", "geometry", "prime numbers",
             "negative numbers", "binary numbers"],
    "computing": ["recursion", "the internet", "machine learning", "encryption",
                  "a computer program", "an algorithm", "a database", "a spreadsheet",
                  "a web browser", "a search engine", "GPS", "variables in programming",
                  "loops in programming", "a compiler", "cloud computing", "version control",
                  "a password manager"],
}
CONCEPTS = [c for domain in CONCEPT_DOMAINS.values() for c in domain]
DOMAIN_OF = {c: d for d, cs in CONCEPT_DOMAINS.items() for c in cs}
PLURAL_CONCEPTS = {
    "taxes", "interest rates", "pyramids", "vaccines", "bacteria", "viruses", "muscles", "fossils",
    "dinosaurs", "black holes", "rainbows", "magnets", "sound waves", "the moon's phases",
    "batteries", "atoms", "chemical reactions", "volcanoes", "earthquakes", "clouds",
    "weather forecasts", "solar panels", "wind turbines", "glaciers", "deserts", "rainforests",
    "coral reefs", "fractions", "averages", "percentages", "prime numbers", "negative numbers",
    "binary numbers", "variables in programming", "loops in programming",
}


def concept_slots(concept):
    """Template slots that agree in number with the concept."""
    plural = concept in PLURAL_CONCEPTS
    return {"concept": concept, "be": "are" if plural else "is", "does": "do" if plural else "does",
            "it": "they" if plural else "it", "matter": "matter" if plural else "matters"}


AUDIENCE_NOUNS = ["student", "parent", "shop owner", "teenager", "retired teacher", "nurse", "farmer"]

AUDIENCES = [
    "a five-year-old", "a ten-year-old", "a high school student", "a complete beginner",
    "my grandmother", "someone who speaks English as a second language", "a busy manager",
    "a university student", "a curious teenager", "a friend who hates science",
]

EXPLAIN_TEMPLATES = [
    "Explain {concept} to {audience}.",
    "Can you explain {concept} in simple terms?",
    "How would you explain {concept} to {audience}?",
    "Explain {concept} using an everyday analogy.",
    "Give a short explanation of {concept} and one example.",
    "What {be} {concept}, and why {does} {it} matter?",
    "Explain {concept} in three sentences.",
    "I never understood {concept}. Can you help?",
    "What are the main ideas behind {concept}?",
    "Explain the difference between {concept} and {concept2}.",
    "What is a common misconception about {concept}?",
    "How {be} {concept} related to {concept2}?",
    "Why should a {audience_noun} care about {concept}?",
]

EXPLAIN_FOLLOW_UPS = [
    "Can you give another example?", "Explain that even more simply.",
    "Why is that important in daily life?", "Can you summarize that in one sentence?",
    "What is a good way to remember this?", "Can you give me a quick quiz question about it?",
    "What should I learn next?", "Is there a common mistake people make about this?",
]

QA_QUESTIONS = [
    "What is the largest planet in our solar system?", "How many legs does a spider have?",
    "What is the chemical symbol for gold?", "Which ocean is the largest?",
    "How many days are there in a leap year?", "What language is spoken in Brazil?",
    "What is the freezing point of water in Fahrenheit?", "Who painted the Mona Lisa?",
    "What is the tallest mountain on Earth?", "What gas do plants take in from the air?",
    "How many bones are in the adult human body?", "What is the capital of Japan?",
    "What is the longest river in Africa?", "How many minutes are in a day?",
    "What do bees make?", "Which planet is known as the red planet?",
    "What is the main ingredient in guacamole?", "How many strings does a violin have?",
    "What is the hardest natural substance?", "What is the capital of Canada?",
    "Who was the first person to walk on the moon?", "What is the smallest prime number?",
    "How many sides does a hexagon have?", "What is the boiling point of water in Fahrenheit?",
    "What is the capital of Australia?", "Which animal is the largest mammal?",
    "What instrument has black and white keys?", "How many hours are in a week?",
    "What does a thermometer measure?", "Which organ pumps blood through the body?",
    "What is the plural of mouse?", "What is the opposite of ancient?",
    "How many players are on a soccer team on the field?", "What color do you get by mixing blue and yellow?",
    "What is the capital of Italy?", "How many continents are in the Southern Hemisphere?",
    "Which metal is liquid at room temperature?", "What is the square root of 81?",
    "Why do leaves change color in autumn?", "Why do we yawn?", "Why is the ocean salty?",
    "How do airplanes stay in the air?", "How does a refrigerator keep food cold?",
    "Why do cats purr?", "How do bees find flowers?", "Why does bread rise?",
    "How does a compass work?", "Why do we need to sleep?", "How are rainbows formed?",
    "Why does ice float on water?", "How do fish breathe underwater?", "Why is snow white?",
    "How does soap clean our hands?", "Why do onions make people cry?",
    "How does a microwave oven heat food?", "What makes thunder?", "Why do stars twinkle?",
    "How do birds know where to migrate?", "What causes hiccups?", "Why do we have fingerprints?",
]

QA_TEMPLATES = [
    "What {be} {concept}?", "How {does} {concept} work?", "Who first studied {concept}?",
    "Give me three facts about {concept}.", "{Be} {concept} important for everyday life? Why?",
]

# --------------------------------------------------------------------------------------------
# Code
# --------------------------------------------------------------------------------------------

LANGUAGES = ["Python", "Python", "Python", "JavaScript", "C", "Go", "Rust", "Java", "Swift", "TypeScript"]

FUNCTION_SPECS = [
    ("sum_of_squares", "returns the sum of the squares of a list of integers"),
    ("max_of_three", "returns the largest of three numbers"),
    ("fahrenheit_to_celsius", "converts a temperature from Fahrenheit to Celsius"),
    ("count_words", "counts the number of words in a string"),
    ("is_even", "checks whether an integer is even"),
    ("factorial", "computes the factorial of a non-negative integer"),
    ("fibonacci", "returns the n-th Fibonacci number"),
    ("capitalize_words", "capitalizes the first letter of every word in a sentence"),
    ("average", "returns the average of a list of numbers, or zero for an empty list"),
    ("find_min_index", "returns the index of the smallest element of a list"),
    ("remove_spaces", "removes all spaces from a string"),
    ("is_leap_year", "checks whether a year is a leap year"),
    ("binary_search", "finds the position of a value in a sorted list using binary search"),
    ("count_char", "counts how many times a given character appears in a string"),
    ("flatten", "flattens a list of lists into a single list"),
    ("digits_sum", "returns the sum of the digits of a non-negative integer"),
    ("longest_word", "returns the longest word in a sentence"),
    ("rotate_list", "rotates a list to the right by k positions"),
    ("is_anagram", "checks whether two words are anagrams of each other"),
    ("celsius_table", "prints a table of Celsius temperatures from 0 to 100 in steps of 10 with their Fahrenheit values"),
    ("filter_positive", "returns only the positive numbers from a list"),
    ("title_case", "converts a string to title case"),
    ("power", "raises a number to an integer power without using the built-in power operator"),
    ("reverse_string", "reverses a string"),
    ("count_lines", "counts the number of lines in a text file"),
    ("dict_invert", "swaps the keys and values of a dictionary"),
    ("clamp", "limits a number to lie between a minimum and a maximum"),
    ("to_binary", "converts a non-negative integer to its binary representation as a string"),
    ("lcm", "returns the least common multiple of two positive integers"),
    ("most_common", "returns the most common element in a list"),
    ("pairs_with_sum", "finds all pairs of numbers in a list that add up to a target"),
    ("bubble_sort", "sorts a list of numbers using bubble sort"),
    ("caesar_cipher", "shifts every letter of a message by a fixed number of places in the alphabet"),
    ("validate_email", "checks whether a string looks like a simple email address"),
    ("split_even_odd", "splits a list of integers into even and odd numbers"),
    ("char_histogram", "builds a dictionary that counts each character in a string"),
    ("matrix_sum", "adds two matrices of the same size"),
    ("safe_divide", "divides two numbers and returns None when the divisor is zero"),
    ("hours_to_minutes", "converts a number of hours and minutes into total minutes"),
    ("initials", "returns the initials of a full name"),
    ("is_sorted", "checks whether a list is sorted in ascending order"),
    ("mean_and_median", "returns the mean and the median of a list of numbers"),
    ("stack_class", "implements a simple stack with push, pop and peek"),
    ("queue_class", "implements a queue with enqueue and dequeue operations"),
    ("read_csv_column", "reads a CSV file and returns the values of one column"),
    ("countdown", "prints the numbers from n down to 1 and then 'Liftoff!'"),
    ("multiplication_table", "prints the multiplication table for a number from 1 to 10"),
    ("vowel_positions", "returns the positions of the vowels in a string"),
    ("compress_runs", "compresses runs of repeated characters, turning 'aaabcc' into 'a3b1c2'"),
    ("celsius_average", "reads daily temperatures and returns the weekly average"),
    ("shopping_total", "computes the total price of a shopping cart given as item prices and quantities"),
    ("grade_letter", "turns a numeric score from 0 to 100 into a letter grade"),
    ("missing_number", "finds the single missing number in a list containing 1 to n"),
    ("days_between", "returns the number of days between two dates"),
]

CODE_TEMPLATES = [
    "Write a {lang} function called {name} that {desc}.",
    "In {lang}, how would I write a function that {desc}?",
    "Write a {lang} function that {desc}. Add a short comment explaining how it works.",
    "Can you show me a simple {lang} program that {desc}?",
    "Write {lang} code for a function {name} that {desc}, and show one example call.",
    "I am learning {lang}. Please write a function that {desc} and explain each line.",
]

SNIPPETS = [
    ("Python", "def f(xs):\n    total = 0\n    for x in xs:\n        if x % 2 == 0:\n            total += x\n    return total"),
    ("Python", "def g(s):\n    return s == s[::-1]"),
    ("Python", "result = [n * n for n in range(10) if n % 3 == 0]\nprint(result)"),
    ("Python", "def h(d):\n    return sorted(d.items(), key=lambda kv: kv[1], reverse=True)[:3]"),
    ("Python", "import random\n\ndef roll():\n    return random.randint(1, 6) + random.randint(1, 6)"),
    ("Python", "def k(n):\n    if n < 2:\n        return n\n    return k(n - 1) + k(n - 2)"),
    ("Python", "with open('notes.txt') as f:\n    lines = [line.strip() for line in f if line.strip()]\nprint(len(lines))"),
    ("Python", "class Counter:\n    def __init__(self):\n        self.count = 0\n\n    def tick(self):\n        self.count += 1\n        return self.count"),
    ("Python", "def m(scores):\n    best = {}\n    for name, score in scores:\n        if score > best.get(name, 0):\n            best[name] = score\n    return best"),
    ("Python", "def q(text):\n    return ''.join(c for c in text if not c.isdigit())"),
    ("JavaScript", "function sum(arr) {\n  return arr.reduce((a, b) => a + b, 0);\n}"),
    ("JavaScript", "const evens = [1, 2, 3, 4, 5, 6].filter(n => n % 2 === 0);\nconsole.log(evens);"),
    ("JavaScript", "function greet(name) {\n  return `Hello, ${name || 'stranger'}!`;\n}"),
    ("C", "int max(int a, int b) {\n    return a > b ? a : b;\n}"),
    ("C", "#include <stdio.h>\n\nint main(void) {\n    for (int i = 1; i <= 5; i++) {\n        printf(\"%d\\n\", i * i);\n    }\n    return 0;\n}"),
    ("Go", "func reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}"),
    ("Rust", "fn largest(v: &[i32]) -> Option<i32> {\n    v.iter().copied().max()\n}"),
    ("Java", "public static boolean isVowel(char c) {\n    return \"aeiouAEIOU\".indexOf(c) >= 0;\n}"),
    ("Swift", "func average(_ xs: [Double]) -> Double {\n    guard !xs.isEmpty else { return 0 }\n    return xs.reduce(0, +) / Double(xs.count)\n}"),
    ("SQL", "SELECT city, COUNT(*) AS customers\nFROM customers\nGROUP BY city\nORDER BY customers DESC;"),
    ("Bash", "for f in *.txt; do\n  wc -l \"$f\"\ndone"),
]

BUGGY_SNIPPETS = [
    ("Python", "def average(xs):\n    return sum(xs) / len(xs) + 1"),
    ("Python", "def last_item(items):\n    return items[len(items)]"),
    ("Python", "def count_up(n):\n    i = 0\n    while i < n:\n        print(i)"),
    ("Python", "def is_adult(age):\n    if age > 18:\n        return True\n    return False\n# should be True for 18"),
    ("Python", "def join_names(names):\n    result = ''\n    for n in names:\n        result += n + ', '\n    return result\n# leaves a trailing comma"),
    ("Python", "def find(xs, target):\n    for i in range(len(xs)):\n        if xs[i] == target:\n            return i\n        else:\n            return -1"),
    ("JavaScript", "function isEqual(a, b) {\n  if (a = b) {\n    return true;\n  }\n  return false;\n}"),
    ("C", "int sum(int *a, int n) {\n    int s;\n    for (int i = 0; i <= n; i++) s += a[i];\n    return s;\n}"),
    ("Python", "def add_item(item, basket=[]):\n    basket.append(item)\n    return basket"),
    ("Python", "total = 0\nfor i in range(1, 10):\n    total += i\nprint('sum of 1 to 10 is', total)"),
]

SNIPPET_TASKS = [
    "Explain what this {lang} code does:\n\n```\n{code}\n```",
    "What does this {lang} code print or return? Explain step by step.\n\n```\n{code}\n```",
    "Can you add comments to this {lang} code?\n\n```\n{code}\n```",
    "Give this {lang} function a better name and explain your choice.\n\n```\n{code}\n```",
    "Write two simple tests for this {lang} code.\n\n```\n{code}\n```",
    "How could this {lang} code be made easier to read?\n\n```\n{code}\n```",
]

BUG_TASKS = [
    "Find the bug in this {lang} code and fix it:\n\n```\n{code}\n```",
    "This {lang} code does not work as expected. What is wrong?\n\n```\n{code}\n```",
    "Review this {lang} code and point out any problems:\n\n```\n{code}\n```",
]

CODE_CONCEPT_QUESTIONS = [
    "What is the difference between a list and a tuple in Python?",
    "When should I use a dictionary instead of a list?",
    "What does the 'return' statement do in a function?",
    "What is an infinite loop and how do I avoid one?",
    "What is the difference between '==' and 'is' in Python?",
    "How do I read a text file line by line in Python?",
    "What is a class in object-oriented programming?",
    "What does 'null' or 'None' mean in programming?",
    "How do I handle errors with try and except in Python?",
    "What is the difference between a compiled and an interpreted language?",
    "Why do programmers write unit tests?",
    "What is a pull request?",
    "What is the difference between a variable and a constant?",
    "How does a for loop differ from a while loop?",
    "What is an API?",
    "What is JSON and where is it used?",
    "What does it mean for a function to be recursive?",
    "Why is indentation important in Python?",
    "What is the time complexity of looking up a key in a hash map?",
    "What are command-line arguments?",
]

CODE_FOLLOW_UPS = [
    "Can you add error handling?", "Now write a version without loops.",
    "How would I test this?", "Can you explain the time complexity?",
    "Can you make it shorter?", "Can you add a usage example?",
    "What happens with an empty input?",
]

# --------------------------------------------------------------------------------------------
# Math
# --------------------------------------------------------------------------------------------

NAMES = ["Ana", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jamal",
         "Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara"]
ITEMS = ["apples", "pencils", "stickers", "marbles", "cookies", "books", "stamps", "shells",
         "cards", "balloons", "oranges", "candles"]


def math_problem(rng):
    """One arithmetic word problem or exercise with random numbers."""
    n1, n2 = rng.sample(NAMES, 2)
    item = rng.choice(ITEMS)
    a, b, c = rng.randint(3, 40), rng.randint(2, 25), rng.randint(2, 9)
    kind = rng.randrange(24)
    if kind == 0:
        return f"{n1} has {a} {item} and gives {min(b, a - 1)} to {n2}. How many {item} does {n1} have left?"
    if kind == 1:
        return f"{n1} buys {c} packs of {item}. Each pack has {b} {item}. How many {item} are there in total?"
    if kind == 2:
        return f"{n1} shares {b * c} {item} equally among {c} friends. How many does each friend get?"
    if kind == 3:
        return f"What is {a * 3} plus {b * 7}?"
    if kind == 4:
        return f"What is {a} multiplied by {b}?"
    if kind == 5:
        p = rng.choice([5, 10, 20, 25, 30, 40, 50, 75])
        return f"What is {p}% of {rng.randint(2, 40) * 10}?"
    if kind == 6:
        x = rng.randint(1, 20)
        k = rng.randint(2, 9)
        m = rng.randint(1, 30)
        return f"Solve for x: {k}x + {m} = {k * x + m}."
    if kind == 7:
        speed = rng.randint(4, 30) * 5
        hours = rng.randint(2, 6)
        return f"A car drives at {speed} kilometers per hour for {hours} hours. How far does it travel?"
    if kind == 8:
        return f"A rectangle is {a} centimeters long and {b} centimeters wide. What are its area and perimeter?"
    if kind == 9:
        price = rng.randint(2, 60)
        off = rng.choice([10, 15, 20, 25, 30, 50])
        return f"A jacket costs {price * 10} dollars and is on sale for {off}% off. What is the sale price?"
    if kind == 10:
        return f"What is the average of {a}, {b} and {a + b + c}?"
    if kind == 11:
        start = rng.randint(1, 11)
        dur = rng.randint(35, 200)
        return f"A film starts at {start}:00 and lasts {dur} minutes. At what time does it end?"
    if kind == 12:
        d1, d2 = rng.sample([2, 3, 4, 5, 6, 8, 10, 12], 2)
        n1_, n2_ = rng.randint(1, d1 - 1), rng.randint(1, d2 - 1)
        return f"What is {n1_}/{d1} + {n2_}/{d2}? Give the answer as a fraction in lowest terms."
    if kind == 13:
        return f"Convert {a * 100} meters to kilometers."
    if kind == 14:
        return f"Is {rng.randint(20, 200)} a prime number? Explain how you checked."
    if kind == 15:
        step = rng.randint(2, 9)
        s = rng.randint(1, 20)
        seq = ", ".join(str(s + step * i) for i in range(5))
        return f"What are the next two numbers in the sequence {seq}?"
    if kind == 16:
        w = rng.randint(2, 12)
        return f"{n1} saves {b} dollars every week. How much will {n1} have saved after {w} weeks?"
    if kind == 17:
        return f"What is {a * b} divided by {b}?"
    if kind == 18:
        cost = rng.randint(2, 9)
        paid = rng.choice([20, 50, 100])
        return f"{n1} buys {c} notebooks at {cost} dollars each and pays with a {paid}-dollar bill. How much change does {n1} get?"
    if kind == 19:
        return f"What is the square of {a}, and what is the square root of {b * b}?"
    if kind == 20:
        r = rng.randint(1, 12)
        return f"What is the area of a circle with a radius of {r} meters? Use 3.14 for pi."
    if kind == 21:
        age = rng.randint(5, 15)
        diff = rng.randint(2, 30)
        return f"{n1} is {age} years old and {n2} is {diff} years older. How old will {n2} be in {c} years?"
    if kind == 22:
        return f"Round {a * 1000 + b * 37} to the nearest hundred."
    return f"A class has {a + 10} students and {b}% of them are absent today, rounded to the nearest whole student. How many students are present?"


MATH_PREFIXES = ["", "", "", "Show your working. ", "Explain step by step: ", "Quick question: "]

MATH_FOLLOW_UPS = [
    "Can you check the answer another way?", "Explain it to me as if I were eight years old.",
    "Now make a similar problem for me to try.",
]

# --------------------------------------------------------------------------------------------
# Summarization
# --------------------------------------------------------------------------------------------

HAND_PASSAGES = [
    "Every autumn, the swallows that nest under the eaves of the old mill at Farrow Bend leave for "
    "the south. They gather on the telephone wires for several days, chattering loudly, before "
    "leaving together one morning. Local children keep a notebook in the mill's café where they "
    "record the date of departure each year. Over twenty years the date has moved about a week "
    "later, which some visitors believe is a sign of warmer autumns.",

    "To repot a houseplant, choose a pot one size bigger than the current one with a drainage hole "
    "in the bottom. Water the plant a day before so the roots hold together. Turn the old pot on "
    "its side and slide the plant out gently. Loosen any roots that circle the bottom, place the "
    "plant in the new pot at the same depth as before, and fill around it with fresh soil. Water "
    "well and keep the plant out of strong sun for a few days.",

    "Meeting notes, Tuesday: The team agreed to move the product launch from March to April "
    "because the printed manuals will not be ready in time. Priya will contact the printer about a "
    "faster schedule. Marco reported that the beta testers found two small bugs, both now fixed. "
    "The budget for the launch event was approved, but the team asked for a cheaper venue. The "
    "next meeting is on Friday at ten.",

    "Hi Sam, thanks for agreeing to look after the shop on Saturday. The keys are in the blue box "
    "under the counter. Please open at nine and close at five. The card machine sometimes needs "
    "to be restarted; just hold the red button for five seconds. If a customer asks about the "
    "repair of the grandfather clock, tell them it will be ready next Wednesday. Call me if "
    "anything goes wrong. Thanks again, Elena.",

    "Long before refrigerators, people in cold countries cut blocks of ice from frozen lakes in "
    "winter and stored them in ice houses. These buildings had thick walls and were often partly "
    "underground. The ice was packed in straw or sawdust, which slowed melting so much that some "
    "ice lasted until the following autumn. It was used to keep food fresh and to make cold "
    "desserts for wealthy households.",

    "Once there was a small fox who wanted to see the sea. Every day he asked the birds which way "
    "it was, and every day they pointed west. He walked for many weeks, through forests and over "
    "hills, until one evening he smelled salt in the air. When he finally saw the waves, he was "
    "too tired to be excited. He slept on the sand, and in the morning the sea was still there, "
    "shining, and it was even better than he had imagined.",

    "The Oakridge community garden has twenty-four plots, each rented for a small fee each year. "
    "Members must keep their plots free of weeds and attend two work days a season. Shared tools "
    "are kept in the green shed, and the code for its lock changes every spring. Water from the "
    "rain barrels should be used before the mains tap. Any member who leaves a plot unused for "
    "more than two months may be asked to give it up to someone on the waiting list.",

    "Scientists studying a colony of seals on a remote northern beach have found that the animals "
    "recognise the calls of their own pups among hundreds of others. Mothers returning from the "
    "sea called out and waited for an answer before approaching. In tests where recordings were "
    "played from a speaker, mothers moved towards the calls of their own young and ignored "
    "others. The researchers believe that each pup's voice has a unique pattern of rising and "
    "falling notes.",

    "Our return policy is simple. You may return any item within thirty days of purchase if it is "
    "unused and in its original packaging. Bring the receipt or the email confirmation. Refunds "
    "are made to the original payment method within five working days. Sale items can be "
    "exchanged but not refunded. Items that arrived damaged can be returned at any time, and we "
    "will pay the postage.",

    "The clock tower in the square of Dunmore has been silent for eleven years. Last spring, a "
    "retired watchmaker named Oskar Brandt offered to repair it for free. He spent every morning "
    "for six months in the tower, cleaning gears and making new parts by hand. On New Year's Eve, "
    "the bells rang again at midnight, and hundreds of people who had gathered in the square "
    "cheered. Oskar said he simply wanted to hear the bells one more time.",

    "Sleep scientists recommend that adults get between seven and nine hours of sleep a night. "
    "Going to bed at the same time each day helps the body keep a regular rhythm. Bright screens "
    "in the hour before bed can make it harder to fall asleep, as can large meals and coffee late "
    "in the day. A cool, dark, quiet bedroom is best. Short naps of twenty minutes can help, but "
    "long naps in the afternoon may make it harder to sleep at night.",

    "The first public bus service in the town of Greyhaven began in 1921 with a single vehicle "
    "that carried fourteen passengers. It ran between the railway station and the harbour four "
    "times a day. The driver also collected the fares and, according to old newspaper reports, "
    "often stopped to deliver parcels for shopkeepers. Within ten years the company owned twelve "
    "buses and served the surrounding villages as well.",

    "Dear parents, the school trip to the science centre will take place on Thursday, 14 May. "
    "Pupils should arrive at school by eight fifteen and will return by four o'clock. Please "
    "provide a packed lunch and a water bottle, and make sure your child wears comfortable shoes. "
    "The cost of the trip is twelve pounds, which can be paid at the school office. Let us know "
    "of any allergies or medical needs before Monday.",

    "The honeycrisp apple was developed at a university research orchard after decades of "
    "cross-breeding. Growers liked its crisp texture and the way it kept well in storage, but the "
    "trees were harder to grow than older varieties. Because the university held a patent on the "
    "variety, farmers paid a fee for every tree they planted, and the money funded further "
    "research. The apple became one of the most popular in supermarkets within twenty years.",

    "Rain fell on the small town all afternoon, and the gutters overflowed into the streets. Inside "
    "the corner café, Maria wiped the counter and watched the door. Her brother had promised to "
    "arrive on the four o'clock bus, but it was now almost six. Just as she reached for the phone, "
    "the bell above the door rang. He stood there, soaked and smiling, holding a bunch of "
    "slightly crushed flowers.",
]

PLACES = ["Ashby", "Brightwater", "Coldridge", "Dunholm", "Elmsworth", "Fairhaven", "Glenmore",
          "Harwick", "Ivybridge", "Kestrel Bay", "Longmeadow", "Millbrook", "Northgate",
          "Oakfield", "Pinecrest", "Redcliff", "Southwold Green", "Thornbury", "Upton Vale",
          "Westerly"]
OFFICIALS = ["council leader Jane Moss", "mayor Peter Lund", "head teacher Amira Khan",
             "project manager Luis Ortega", "local doctor Helen Ward", "police chief Omar Saleh",
             "park ranger Nina Holt", "museum director Karl Weber", "club secretary Fiona Gray"]
EVENTS = [
    ("opened a new community swimming pool", "the pool has a separate area for young children",
     "residents had waited almost ten years for a pool"),
    ("planted {n} trees along its main road", "the trees were chosen because they cope well with dry summers",
     "volunteers from three schools helped with the planting"),
    ("introduced free bus travel for people over seventy", "the scheme is paid for by a small rise in parking charges",
     "bus use among older residents has already risen"),
    ("held its first food festival", "{n} stalls sold dishes from more than twenty countries",
     "organisers said the festival would become a yearly event"),
    ("reopened its railway station after a long closure", "trains will run every hour to the nearest city",
     "commuters previously had to drive {n} kilometres to catch a train"),
    ("banned cars from the old town centre on Sundays", "cafés have put tables out in the streets",
     "some shop owners worry about losing customers who drive"),
    ("discovered a Roman coin hoard during building work", "archaeologists counted {n} silver coins",
     "the coins will be shown at the county museum"),
    ("launched a repair café where volunteers fix broken items", "{n} items were repaired on the first day",
     "toasters and lamps were the most common repairs"),
    ("won a national award for the cleanest beach", "the beach is cleaned by volunteers every Sunday morning",
     "tourism officials expect more visitors this summer"),
    ("opened a tool library where residents borrow equipment", "members can borrow up to {n} items at a time",
     "ladders and drills are the most popular items"),
    ("started a scheme to teach older people to use smartphones", "students volunteer as teachers after school",
     "more than {n} people have signed up"),
    ("suffered a power cut that lasted two days", "a storm brought down power lines on the hills",
     "engineers worked through the night to repair the damage"),
]
EXTRA_SENTENCES = [
    "The project cost about {m} million pounds.", "Work began in the spring of last year.",
    "A public meeting about the plans drew {n} people.", "Not everyone is happy with the change.",
    "A survey found that most residents support the idea.", "Similar schemes exist in several nearby towns.",
    "The council says it will review the results after one year.", "Local newspapers have followed the story closely.",
]

SUMMARY_INSTRUCTIONS = [
    "Summarize this passage in one sentence.", "Give me a two-sentence summary of the text below.",
    "Summarize the following text in three bullet points.", "What is the main point of this passage?",
    "Write a short headline for this text.", "Summarize this for a ten-year-old.",
    "List the key facts in the passage below.", "TL;DR this, please.",
    "Summarize the passage below in under twenty words.", "Write a brief summary of this text, then name its topic in one word.",
    "Read this and tell me the most important detail.", "Condense this text into a single short paragraph.",
]

SUMMARY_FOLLOW_UPS = [
    "Now make it even shorter.", "What question would you ask the author?",
    "Who is the main person or group mentioned?", "Is the tone positive or negative? Why?",
]


def news_passage(rng):
    """A news-like paragraph about an invented town, assembled from sentence templates."""
    place = rng.choice(PLACES)
    official = rng.choice(OFFICIALS)
    what, detail, context = rng.choice(EVENTS)
    n = rng.randint(12, 480)
    when = rng.choice(["on Monday", "last week", "on Saturday", "this morning", "at the weekend", "on Thursday"])
    fill = lambda s: s.format(n=n, m=rng.randint(2, 19))
    sentences = [
        f"The town of {place} {fill(what)} {when}.",
        fill(detail)[0].upper() + fill(detail)[1:] + ".",
        f"Speaking to reporters, {official} said the change would make {place} a better place to live.",
        fill(context)[0].upper() + fill(context)[1:] + ".",
    ]
    extras = rng.sample(EXTRA_SENTENCES, rng.randint(1, 3))
    for e in extras:
        sentences.insert(rng.randint(2, len(sentences)), fill(e))
    return " ".join(sentences)


# --------------------------------------------------------------------------------------------
# System prompts
# --------------------------------------------------------------------------------------------

SYSTEM_PROMPTS = [
    "You are a helpful assistant.", "You are a helpful assistant.",
    "You are a friendly assistant who answers briefly.",
    "You are a patient teacher.", "You are a concise assistant. Answer in as few words as possible.",
    "You are a cheerful assistant who likes to use examples.",
    "You are a careful assistant. If you are unsure, say so.",
]
# Extra system prompts that only make sense for one category.
CATEGORY_SYSTEM_PROMPTS = {
    "code": ["You are an expert programmer.", "You are a senior software engineer who writes clean, simple code."],
    "writing": ["You are a creative writing assistant.", "You are a poet and storyteller."],
    "math": ["You are a careful math tutor."],
}

# --------------------------------------------------------------------------------------------
# Generators per category
# --------------------------------------------------------------------------------------------


def maybe_follow_ups(rng, first, follow_ups, p_two=0.25, p_three=0.08):
    turns = [first]
    r = rng.random()
    if r < p_three:
        turns += rng.sample(follow_ups, 2)
    elif r < p_three + p_two:
        turns.append(rng.choice(follow_ups))
    return turns


def gen_chat(rng):
    template = rng.choice(CHAT_TEMPLATES)
    a, b = rng.choice(CHOICES)
    if rng.random() < 0.5:
        a, b = b, a
    topic, topic2 = rng.sample(TOPICS, 2)
    text = template.format(goal=rng.choice(GOALS), a=a, b=b, person=rng.choice(PEOPLE),
                           topic=topic, topic2=topic2)
    return maybe_follow_ups(rng, text, CHAT_FOLLOW_UPS)


def gen_writing(rng):
    if rng.random() < 0.2:
        text = rng.choice(PRACTICAL_WRITING)
    else:
        text = rng.choice(WRITING_TEMPLATES).format(
            form=rng.choice(WRITING_FORMS), subject=rng.choice(WRITING_SUBJECTS),
            constraint=rng.choice(WRITING_CONSTRAINTS)).strip()
    return maybe_follow_ups(rng, text, WRITING_FOLLOW_UPS)


def gen_explanation(rng):
    c1 = rng.choice(CONCEPTS)
    c2 = rng.choice([c for c in CONCEPT_DOMAINS[DOMAIN_OF[c1]] if c != c1])
    slots = concept_slots(c1)
    text = rng.choice(EXPLAIN_TEMPLATES).format(concept2=c2, audience=rng.choice(AUDIENCES),
                                                audience_noun=rng.choice(AUDIENCE_NOUNS), **slots)
    text = text[0].upper() + text[1:]
    return maybe_follow_ups(rng, text, EXPLAIN_FOLLOW_UPS)


def gen_qa(rng):
    if rng.random() < 0.6:
        text = rng.choice(QA_QUESTIONS)
    else:
        slots = concept_slots(rng.choice(CONCEPTS))
        text = rng.choice(QA_TEMPLATES).format(Be=slots["be"].capitalize(), **slots)
        text = text[0].upper() + text[1:]
    return [text]


def name_for(lang, snake):
    """Function names in the naming style of the language (camelCase outside Python, C, Rust)."""
    if lang in ("Python", "C", "Rust"):
        return snake
    head, *rest = snake.split("_")
    return head + "".join(w.capitalize() for w in rest)


def gen_code(rng):
    r = rng.random()
    lang = None
    if r < 0.5:
        name, desc = rng.choice(FUNCTION_SPECS)
        lang = rng.choice(LANGUAGES)
        text = rng.choice(CODE_TEMPLATES).format(lang=lang, name=name_for(lang, name), desc=desc)
    elif r < 0.72:
        lang, code = rng.choice(SNIPPETS)
        tasks = SNIPPET_TASKS if lang not in ("SQL", "Bash") else SNIPPET_TASKS[:3]
        text = rng.choice(tasks).format(lang=lang, code=code)
    elif r < 0.88:
        lang, code = rng.choice(BUGGY_SNIPPETS)
        text = rng.choice(BUG_TASKS).format(lang=lang, code=code)
    else:
        text = rng.choice(CODE_CONCEPT_QUESTIONS)
    other = rng.choice([l for l in ("Python", "JavaScript", "Go", "Java") if l != lang])
    follow_ups = CODE_FOLLOW_UPS + [f"Rewrite it in {other}."]
    return maybe_follow_ups(rng, text, follow_ups, p_two=0.2, p_three=0.05)


def gen_math(rng):
    text = rng.choice(MATH_PREFIXES) + math_problem(rng)
    return maybe_follow_ups(rng, text, MATH_FOLLOW_UPS, p_two=0.1, p_three=0.0)


def gen_summarization(rng):
    passage = rng.choice(HAND_PASSAGES) if rng.random() < 0.45 else news_passage(rng)
    instruction = rng.choice(SUMMARY_INSTRUCTIONS)
    text = f"{instruction}\n\n{passage}" if rng.random() < 0.8 else f"{passage}\n\n{instruction}"
    return maybe_follow_ups(rng, text, SUMMARY_FOLLOW_UPS, p_two=0.15, p_three=0.0)


# Share of the prompts per category (sums to 1).
MIX = [
    ("chat", gen_chat, 0.17), ("writing", gen_writing, 0.17), ("explanation", gen_explanation, 0.14),
    ("qa", gen_qa, 0.06), ("code", gen_code, 0.18), ("math", gen_math, 0.13),
    ("summarization", gen_summarization, 0.15),
]

# --------------------------------------------------------------------------------------------
# Overlap checks against the benchmark set
# --------------------------------------------------------------------------------------------


def normalise(text):
    return re.sub(r"\s+", " ", text.strip().lower())


# Subjects of the benchmark's QA prompts: tune prompts stay off them so that tuning never
# rehearses a benchmark answer (matched as whole words, case-insensitive).
BENCH_SUBJECTS = ["photosynthesis", "gravity", "tides", "DNA", "Romeo", "sky blue", "seasons",
                  "capital of France", "continents", "boiling point", "weather and climate", "CPU"]


class BenchFingerprints:
    """Texts that must never appear in a tune prompt: every bench turn, every bench passage
    (the text after the instruction line), the name of every bench code stub, and the
    subjects of the bench QA prompts."""

    def __init__(self, bench_path):
        self.turns, self.passages, self.names = set(), set(), set()
        with open(bench_path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                for t in row["turns"]:
                    self.turns.add(normalise(t))
                if row["category"] == "summarization":
                    self.passages.add(normalise(row["turns"][0].split("\n\n", 1)[1])[:80])
                for m in re.finditer(r"def (\w+)\(", row["turns"][0]):
                    self.names.add(m.group(1))
        self.long_turns = [t for t in self.turns if len(t) >= 24]
        words = sorted(self.names) + BENCH_SUBJECTS
        self.word_pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b",
                                       re.IGNORECASE)

    def overlap(self, turns):
        """A description of the first overlap with the benchmark, or None."""
        for t in turns:
            nt = normalise(t)
            if nt in self.turns:
                return f"repeats bench turn {t!r}"
            for bt in self.long_turns:
                if bt in nt:
                    return f"contains bench turn {bt!r}"
            for p in self.passages:
                if p in nt:
                    return "contains a bench passage"
            m = self.word_pattern.search(t)
            if m:
                return f"mentions bench subject {m.group(0)!r}"
        return None


def generate(seed, count, bench):
    rng = random.Random(seed)
    seen = set()
    first_turn_uses = {}
    rows = []
    for category, gen, share in MIX:
        quota = round(count * share)
        made, attempts = 0, 0
        while made < quota:
            attempts += 1
            assert attempts < quota * 200, f"cannot make {quota} distinct {category} prompts"
            turns = gen(rng)
            systems = SYSTEM_PROMPTS + CATEGORY_SYSTEM_PROMPTS.get(category, [])
            system = rng.choice(systems) if rng.random() < 0.25 else None
            key = (tuple(normalise(t) for t in turns), system)
            # Distinct means distinct (turns, system) pairs, and the first turn on its own may
            # appear at most twice (say once bare, once with a system prompt or a follow-up).
            first = key[0][0]
            if key in seen or first_turn_uses.get(first, 0) >= 2 or bench.overlap(turns):
                continue
            seen.add(key)
            first_turn_uses[first] = first_turn_uses.get(first, 0) + 1
            row = {"category": category, "turns": turns}
            if system:
                row["system"] = system
            rows.append(row)
            made += 1
    rng.shuffle(rows)
    return [dict({"id": f"tune-{i:04d}"}, **row) for i, row in enumerate(rows, 1)]


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2401)
    parser.add_argument("--count", type=int, default=1800)
    parser.add_argument("--bench", default=os.path.join(root, "prompts", "bench.jsonl"))
    parser.add_argument("--out", default=os.path.join(root, "prompts", "tune.jsonl"))
    args = parser.parse_args()

    bench = BenchFingerprints(args.bench)
    rows = generate(args.seed, args.count, bench)
    assert len(rows) >= 1500, "fewer than 1,500 prompts"
    keys = {(tuple(normalise(t) for t in r["turns"]), r.get("system")) for r in rows}
    assert len(keys) == len(rows), "duplicate prompts"
    for r in rows:
        problem = bench.overlap(r["turns"])
        assert problem is None, f"{r['id']} {problem}"

    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    by_cat, by_turns = {}, {}
    for r in rows:
        by_cat[r["category"]] = by_cat.get(r["category"], 0) + 1
        by_turns[len(r["turns"])] = by_turns.get(len(r["turns"]), 0) + 1
    with_system = sum(1 for r in rows if "system" in r)
    distinct_first = len({normalise(r["turns"][0]) for r in rows})
    print(f"wrote {len(rows)} prompts to {args.out}", file=sys.stderr)
    print(f"  categories: {by_cat}", file=sys.stderr)
    print(f"  turns: {dict(sorted(by_turns.items()))}, with system prompt: {with_system}, "
          f"distinct first turns: {distinct_first}", file=sys.stderr)


if __name__ == "__main__":
    main()
