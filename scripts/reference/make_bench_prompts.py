#!/usr/bin/env python3
"""Writes prompts/bench.jsonl, the fixed benchmark prompt set.

Purpose: one place that holds the benchmark prompts as readable Python literals (code stubs
and passages span several lines) and writes them as JSON Lines in a stable order.

Categories follow the ones BiTA was evaluated on: multi-turn chat and writing (MT-Bench-like),
one-sentence summaries of a given passage (XSum-like), completing a documented function stub
(HumanEval-like), plus short factual QA and simple arithmetic word problems. All text here was
written for this project; the passages describe invented places and events.

Output line schema:
    {"id": "chat-01", "category": "chat|writing|summarization|code|qa|math",
     "turns": ["first user message", "optional second user message"], "system": "..."?}

Usage: python3 scripts/reference/make_bench_prompts.py [--out prompts/bench.jsonl]
The script is deterministic; re-running it reproduces the committed file byte for byte.
"""
import argparse
import json
import os
import sys

CHAT = [
    ["I'm planning a weekend trip to a small mountain town. What should I pack?",
     "The forecast says it might rain on Saturday. How should I change my plans?"],
    ["What are some good habits for getting better sleep?",
     "Which of those habits is the easiest to start tonight?"],
    ["I just adopted a cat. How can I help her feel at home during the first week?",
     "She keeps hiding under the bed. Should I be worried?"],
    ["Can you suggest three hobbies I could start without spending much money?",
     "Tell me more about the second one. How do I begin?"],
    ["How do I politely decline an invitation to a party?",
     "Write a short text message I could send to my friend."],
    ["What is a good way to start learning to cook at home?",
     "Suggest one simple recipe for my first try."],
    ["I always feel nervous before job interviews. Do you have any advice?",
     "What questions could I ask the interviewer at the end?"],
    ["What are the benefits of walking every day?",
     "How can I make my daily walk more fun?"],
    ["My friend's birthday is next week and she loves reading. What gifts could I get her?",
     "Which of these ideas could I make myself?"],
    ["How can I keep my houseplants alive while I am away for two weeks?",
     "What if I only have three small plants?"],
    ["What should I think about when choosing my first bicycle?",
     "How often should I clean and check it?"],
    ["Can you explain how to make a simple weekly budget?",
     "Show me an example for someone who earns 500 dollars a week."],
]

WRITING = [
    ["Write a short poem about the first snow of winter.",
     "Now rewrite it as a haiku."],
    ["Write a persuasive paragraph that encourages people to visit their public library.",
     "Make it shorter and more playful."],
    ["Write a friendly email to a neighbor asking them to water my garden while I am on holiday.",
     "Add a sentence offering to return the favor."],
    ["Write the opening of a story about a lighthouse keeper who finds a message in a bottle.",
     "Continue the story with an unexpected twist."],
    ["Write a product description for a reusable water bottle.",
     "Rewrite it so that it appeals to children."],
    ["Write a thank-you note to a teacher who helped me through a difficult school year."],
    ["Write an introduction for a blog post about growing tomatoes at home.",
     "Suggest three catchy titles for the post."],
    ["Describe a busy city market early in the morning, using all five senses."],
    ["Write a short toast for my best friend's wedding.",
     "Make it a little funnier."],
    ["Write a limerick about a forgetful robot."],
    ["Write a paragraph for a cover letter applying for a job as a junior librarian.",
     "Now make it more formal."],
    ["Write a short dialogue between a cat and a dog arguing about who is the better pet."],
]

PASSAGES = [
    "The town of Larkfield opened its new footbridge over the Emmer River on Tuesday, ending "
    "two years of detours for pedestrians and cyclists. The old bridge was closed in 2024 after "
    "engineers found cracks in its supports. The new structure, built from steel and recycled "
    "timber, cost 3.2 million pounds and is wide enough for bicycles to pass in both directions. "
    "Mayor Ruth Okafor said the bridge would reconnect the market square with the housing estates "
    "on the east bank. Local shop owners reported that trade fell by almost a fifth while the "
    "crossing was shut, and several hope customers will now return.",

    "Researchers at the fictional Northmoor Agricultural Institute have found that strips of wild "
    "flowers planted along the edges of wheat fields more than doubled the number of wild bees "
    "visiting nearby orchards. Over three summers, the team counted insects on forty farms, half of "
    "which had planted the flower strips. Apple yields on farms with the strips rose by about eight "
    "percent. The scientists say the strips are cheap to plant and need mowing only once a year, "
    "but warn that the benefit depends on choosing native flower species.",

    "A family bakery in the village of Stowmere has celebrated one hundred years of business by "
    "giving away a free loaf to every resident. The bakery was founded in 1926 by Agnes Petrie, "
    "whose great-grandson Tom now runs it with his two sisters. They still use the original brick "
    "oven, which is heated with wood every morning at four o'clock. Tom Petrie said that the secret "
    "of their success was simple: good flour, patience, and knowing every customer by name. More "
    "than six hundred loaves were handed out on Saturday.",

    "Students from Hillcrest Secondary School have won a national robotics competition with a "
    "machine that sorts recycling by reading the labels on packaging. The team of six, aged "
    "between fifteen and seventeen, spent eight months building the robot in an after-school club. "
    "Judges praised its accuracy, which reached ninety-four percent in the final round. The "
    "students will now travel to an international contest in the spring. Their teacher said the "
    "club started four years ago with only two members and a box of spare parts.",

    "Heavy rain caused the River Calder to burst its banks early on Sunday, flooding around two "
    "hundred homes in the low-lying streets of Brannock. Emergency services used boats to help "
    "elderly residents leave their houses, and a school hall was opened as a shelter. Nobody was "
    "seriously hurt. The water began to fall by the evening, but officials warned that more rain "
    "was expected later in the week. Residents have asked the council to speed up work on flood "
    "defences that were promised three years ago.",

    "The city library of Pellham will stay open until ten o'clock at night on weekdays from next "
    "month, after a survey found that many students had nowhere quiet to study in the evening. "
    "The longer hours will be paid for by closing one smaller branch that had very few visitors. "
    "Library staff said the evening hours would also allow them to run free computer classes for "
    "adults who work during the day. Some residents near the closing branch have started a "
    "petition to keep it open.",

    "More than four thousand runners took part in the first Coastline Marathon on Sunday, a race "
    "that follows the cliffs between the towns of Wrenport and Saltby. Organisers had expected "
    "fewer than three thousand entrants. The men's race was won by a local fisherman, Daniel "
    "Reyes, who had only started running two years ago. Money raised by the entry fees will go to "
    "the lifeboat station in Wrenport, which needs a new boat. The organisers say the race will "
    "return next year with a shorter route for beginners.",

    "A new exhibition at the Ashford Museum of Science shows how people measured time before "
    "clocks were common. Visitors can see sundials, water clocks, candle clocks marked with lines, "
    "and a large hourglass that takes a full day to empty. Curator Mei Lin said the aim was to "
    "show that every method had its own problems: sundials fail on cloudy days, and water clocks "
    "run slower in winter. The exhibition is free for children and will run until the end of "
    "August.",

    "Temperatures in the region reached thirty-nine degrees on Wednesday, the highest ever "
    "recorded in the month of June. Health officials advised people to stay indoors during the "
    "afternoon, drink plenty of water and check on elderly neighbors. Several railway lines ran "
    "slower trains because the tracks could bend in the heat. Farmers said their crops needed rain "
    "soon. Forecasters expect cooler weather to arrive at the weekend, with thunderstorms possible "
    "on Friday night.",

    "The small island of Kerran has become the first community in the country to get all of its "
    "electricity from wind and sun. Three wind turbines and a field of solar panels were installed "
    "last year, together with a large battery that stores energy for calm nights. Before the "
    "project, the island's three hundred residents relied on a diesel generator that was noisy and "
    "expensive. Islanders now pay about a third less for power, and the old generator is kept "
    "only for emergencies.",

    "A dog named Biscuit has been reunited with her owners eleven months after she went missing "
    "during a storm. Biscuit was found sixty kilometres away by a farmer, who noticed she wore a "
    "collar with a microchip. A vet scanned the chip and called the family that same afternoon. "
    "The owners, the Harper family, said they had never given up hope and had kept putting up "
    "posters in nearby towns. Vets say the case shows why microchips and up-to-date contact "
    "details matter.",

    "Volunteers collected more than two tonnes of rubbish from the banks of the Silvane River "
    "during a weekend clean-up organised by a local rowing club. Among the items found were "
    "shopping trolleys, car tyres, a bicycle and hundreds of plastic bottles. The club's captain "
    "said rowers had noticed more litter in the water every season. The council has agreed to put "
    "new bins along the riverside path and will fine people caught dumping waste. The club plans "
    "to repeat the clean-up every spring.",
]

SUMMARY_INSTRUCTIONS = [
    "Summarize the following article in one sentence.",
    "Write a one-sentence summary of this news story.",
    "Read the passage below and summarize its main point in a single sentence.",
]

CODE_STUBS = [
    '''def is_palindrome(text: str) -> bool:
    """Return True if text reads the same forwards and backwards,
    ignoring case and any character that is not a letter or digit.

    >>> is_palindrome("A man, a plan, a canal: Panama")
    True
    >>> is_palindrome("hello")
    False
    """''',
    '''def count_vowels(word: str) -> int:
    """Return the number of vowels (a, e, i, o, u, upper or lower case) in word.

    >>> count_vowels("Banana")
    3
    >>> count_vowels("sky")
    0
    """''',
    '''def running_sum(numbers: list[int]) -> list[int]:
    """Return a list where element i is the sum of numbers[0] .. numbers[i].

    >>> running_sum([1, 2, 3, 4])
    [1, 3, 6, 10]
    >>> running_sum([])
    []
    """''',
    '''def merge_sorted(a: list[int], b: list[int]) -> list[int]:
    """Merge two lists that are already sorted in ascending order into one
    sorted list, without calling sort() or sorted().

    >>> merge_sorted([1, 4, 9], [2, 3, 10])
    [1, 2, 3, 4, 9, 10]
    """''',
    '''def second_largest(values: list[int]) -> int | None:
    """Return the second largest distinct value in values, or None if there
    are fewer than two distinct values.

    >>> second_largest([5, 1, 5, 3])
    3
    >>> second_largest([7, 7])
    """''',
    '''def word_frequencies(sentence: str) -> dict[str, int]:
    """Count how often each word occurs in sentence. Words are separated by
    whitespace and compared in lower case.

    >>> word_frequencies("the cat and the hat")
    {'the': 2, 'cat': 1, 'and': 1, 'hat': 1}
    """''',
    '''def is_prime(n: int) -> bool:
    """Return True if n is a prime number, False otherwise.

    >>> is_prime(2)
    True
    >>> is_prime(15)
    False
    >>> is_prime(1)
    False
    """''',
    '''def reverse_words(sentence: str) -> str:
    """Return the sentence with the order of its words reversed. Words are
    separated by single spaces.

    >>> reverse_words("the quick brown fox")
    'fox brown quick the'
    """''',
    '''def chunk(items: list, size: int) -> list[list]:
    """Split items into consecutive chunks of length size; the last chunk may
    be shorter.

    >>> chunk([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """''',
    '''def unique_in_order(items: list) -> list:
    """Return the items with duplicates removed, keeping the first
    occurrence of each item in its original position.

    >>> unique_in_order([3, 1, 3, 2, 1])
    [3, 1, 2]
    """''',
    '''def transpose(matrix: list[list[int]]) -> list[list[int]]:
    """Return the transpose of a rectangular matrix given as a list of rows.

    >>> transpose([[1, 2, 3], [4, 5, 6]])
    [[1, 4], [2, 5], [3, 6]]
    """''',
    '''def gcd(a: int, b: int) -> int:
    """Return the greatest common divisor of two non-negative integers,
    using Euclid's algorithm.

    >>> gcd(48, 18)
    6
    >>> gcd(7, 0)
    7
    """''',
]

CODE_INSTRUCTIONS = [
    "Complete the following Python function.",
    "Implement the body of this Python function so that it passes the examples in its docstring.",
    "Write the code for this function.",
]

QA = [
    "What is the capital of France?",
    "Why is the sky blue?",
    "What is photosynthesis?",
    "Who wrote the play Romeo and Juliet?",
    "How many continents are there, and what are they called?",
    "What causes the tides in the ocean?",
    "What is the difference between weather and climate?",
    "What does the CPU in a computer do?",
    "At what temperature does water boil at sea level?",
    "What is DNA and why is it important?",
    "Why does the Earth have seasons?",
    "What is gravity?",
]

MATH = [
    "A shop sells pencils at 3 for 1 dollar. How much do 12 pencils cost?",
    "What is 15% of 80?",
    "Solve for x: 2x + 6 = 20.",
    "A train travels 120 kilometers in 2 hours. What is its average speed?",
    "What is the area of a rectangle that is 7 meters long and 5 meters wide?",
    "What is the sum of the whole numbers from 1 to 10?",
    "Tom has 3 apples and buys 2 dozen more. How many apples does he have now?",
    "Write 3/4 as a percentage.",
    "What is the next number in the sequence 2, 4, 8, 16?",
    "What is the perimeter of a square with sides of 9 centimeters?",
    "A recipe needs 2 cups of flour to make 12 cookies. How much flour is needed for 30 cookies?",
    "What is 7 times 8, minus 6?",
]

# A few prompts carry their own system prompt, as chat front ends often do.
SYSTEMS = {
    "chat-06": "You are a friendly cooking coach who gives short, practical answers.",
    "writing-10": "You are a playful poet.",
    "code-12": "You are an expert Python programmer. Answer with code first, then a short explanation.",
    "qa-08": "You are a patient teacher explaining things to a twelve-year-old.",
    "math-05": "You are a careful math tutor. Show your steps.",
}


def build():
    rows = []

    def add(category, index, turns):
        rid = f"{category}-{index:02d}"
        row = {"id": rid, "category": category, "turns": turns}
        if rid in SYSTEMS:
            row["system"] = SYSTEMS[rid]
        rows.append(row)

    for i, turns in enumerate(CHAT, 1):
        add("chat", i, turns)
    for i, turns in enumerate(WRITING, 1):
        add("writing", i, turns)
    for i, passage in enumerate(PASSAGES, 1):
        instruction = SUMMARY_INSTRUCTIONS[(i - 1) % len(SUMMARY_INSTRUCTIONS)]
        add("summarization", i, [f"{instruction}\n\n{passage}"])
    for i, stub in enumerate(CODE_STUBS, 1):
        instruction = CODE_INSTRUCTIONS[(i - 1) % len(CODE_INSTRUCTIONS)]
        add("code", i, [f"{instruction}\n\n```python\n{stub}\n```"])
    for i, question in enumerate(QA, 1):
        add("qa", i, [question])
    for i, problem in enumerate(MATH, 1):
        add("math", i, [problem])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--out", default=os.path.join(root, "prompts", "bench.jsonl"))
    args = parser.parse_args()
    rows = build()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert set(SYSTEMS) <= set(ids), "system prompt for an unknown id"
    firsts = [r["turns"][0] for r in rows]
    assert len(firsts) == len(set(firsts)), "duplicate first turns"
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in rows:
        counts[r["category"]] = counts.get(r["category"], 0) + 1
    print(f"wrote {len(rows)} prompts to {args.out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
