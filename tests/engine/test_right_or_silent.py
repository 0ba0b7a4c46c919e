"""Wrong claims the engine used to make on real photos, and what it says instead.

Photos from the evaluation set (ai_engine/evalset, labelled by a person before the engine
ran on them): the tuning half by bare name, the held-out sets by "holdout/..." to
"holdout5/..."; each one shows a failure named in issue 10 or found on a held-out set
(holdout3's, holdout4's and holdout5's on their first, blind runs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_engine import Analysis, analyze

EVALSET = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset"
_cache: dict[str, Analysis] = {}


@pytest.fixture()
def photo_analysis(ctx):
    def get(name: str) -> Analysis:
        if name not in _cache:
            path = EVALSET / name if "/" in name else EVALSET / "tune" / name
            _cache[name] = analyze(str(path), context=ctx)
        return _cache[name]

    return get


def said(result: Analysis) -> set[str]:
    """Every tag word and every word of the description, lower case."""
    words = {w for t in result.tags for w in t.name.lower().split()}
    return words | set(result.description.lower().rstrip(".").replace(",", " ").split())


@pytest.mark.parametrize("name", ["mate-blinds.jpg", "mate-garden.jpg", "mate-fresh-flower.jpg"])
def test_a_leaf_or_a_flower_is_not_an_insect(photo_analysis, name):
    # ImageNet gives a green leaf 0.3 "ladybug" and a marigold 0.18 "sulphur butterfly".
    result = photo_analysis(name)
    assert not said(result) & {"insect", "ladybug", "beetle", "bee", "butterfly", "animal"}


def test_a_leaf_is_a_close_up_of_a_plant(photo_analysis):
    result = photo_analysis("mate-blinds.jpg")
    assert {"plant", "leaves", "close-up", "green"} <= set(result.tag_names)
    # Grass or leaves filling the frame: the sentence says only what is sure.
    assert result.description.startswith("A close-up of green plants")


def test_an_apple_is_not_a_person(photo_analysis):
    # BlazeFace finds a "face" (0.64) on the apple; neither NudeNet nor a sure score agrees.
    result = photo_analysis("opencv-apple.jpg")
    assert result.faces == 0
    assert not said(result) & {"person", "portrait", "people", "face"}
    assert {"apple", "fruit", "food"} <= set(result.tag_names)
    assert result.description.startswith("A close-up of an apple")


def test_a_group_is_counted_with_both_face_detectors(photo_analysis):
    result = photo_analysis("pyfeat-multi-face.jpg")  # five friends on a beach
    assert result.faces == 5
    assert result.description.startswith("A group of five people")
    assert {"person", "people", "group", "group of people"} <= set(result.tag_names)


def test_cows_are_farm_animals_not_dogs(photo_analysis):
    # ImageNet: ox 0.49, Great Dane 0.19 on a Holstein pattern. Not even "cattle" is
    # dominant enough for a species (species_threshold): the safe parents are said.
    result = photo_analysis("gcompris-cow.jpg")
    assert not said(result) & {"dog", "great", "dane", "pet", "horse"}
    assert {"farm animal", "mammal", "animal", "grass"} <= set(result.tag_names)
    assert result.description == "An animal on grass."


def test_a_sure_species_is_named_with_its_parents(photo_analysis):
    result = photo_analysis("gcompris-sheep.jpg")
    assert {"sheep", "farm animal", "mammal", "animal"} <= set(result.tag_names)
    assert "ram" not in result.tag_names  # a class that names a sex is not said


@pytest.mark.parametrize(
    "name",
    ["gcompris-colosseum.jpg", "gcompris-reims-cathedral.jpg", "gcompris-brandenburg-gate.jpg"],
)
def test_a_grand_building_is_historic_not_a_castle(photo_analysis, name):
    # All three come out of ImageNet as "palace" (0.47-0.75).
    result = photo_analysis(name)
    assert not said(result) & {"castle", "palace", "mosque", "church", "sand", "beach"}
    assert {"building", "historic", "architecture", "outdoor"} <= set(result.tag_names)


def test_a_tower_is_not_a_church(photo_analysis):
    result = photo_analysis("gcompris-eiffel-tower.jpg")  # "bell tower" 0.15, "church" 0.10
    assert not said(result) & {"church", "water", "sea"}
    assert {"building", "sky", "outdoor"} <= set(result.tag_names)


@pytest.mark.parametrize("name", ["mate-storm.jpg", "plasma-kite.jpg"])
def test_a_storm_over_a_road_or_a_kite_is_not_a_vehicle(photo_analysis, name):
    # "airplane wing" 0.24 on the storm; "parachute" 0.54 and "balloon" on the kite.
    result = photo_analysis(name)
    assert not said(result) & {"vehicle", "aircraft", "car", "truck", "water", "sea"}


def test_a_storm_sky_is_a_sky_but_not_blue_nor_daytime(photo_analysis):
    # Dark blue-grey storm clouds, exposed at EV 4.9 (EXIF): a sky, but no "blue sky"
    # and no time of day the light contradicts.
    result = photo_analysis("mate-storm.jpg")
    assert {"sky", "outdoor"} <= set(result.tag_names)
    assert not {"blue sky", "daytime"} & set(result.tag_names)
    assert "blue" not in result.description.lower()


def test_blue_from_top_to_bottom_is_no_sky_without_a_second_cue(photo_analysis):
    # A water drop: soft, even blue all around a sharp splash, like a studio backdrop.
    result = photo_analysis("mate-aqua.jpg")
    assert not set(result.tag_names) & {"sky", "blue sky", "outdoor", "daytime"}


def test_a_dusk_sky_is_not_daytime(photo_analysis):
    # A lake at dusk under a purple and pink sky.
    result = photo_analysis("plasma-summer-1am.jpg")
    assert "sky" in result.tag_names
    assert not {"daytime", "blue sky"} & set(result.tag_names)


@pytest.mark.parametrize("name", ["gcompris-brandenburg-gate.jpg", "lomiri-sunset.jpg"])
def test_a_bright_sky_over_a_dark_ground_is_not_daytime(photo_analysis, name):
    # A floodlit gate under a blue-hour sky; a sunset behind dark hills.
    assert "daytime" not in photo_analysis(name).tag_names


def test_a_dolphin_is_sea_life_not_a_fish(photo_analysis):
    # ImageNet calls a dolphin a great white shark; sharks map to "sea life".
    result = photo_analysis("gcompris-dolphin.jpg")
    assert not said(result) & {"fish", "shark"}
    assert {"animal", "sea life"} <= set(result.tag_names)


def test_a_long_exposure_at_night_is_night(photo_analysis):
    # A bridge over a river, 4 s exposure (EXIF): night from the camera, not from a patch.
    result = photo_analysis("palapeli-cincinnati-bridge.jpg")
    assert {"night", "water", "outdoor"} <= set(result.tag_names)
    assert "daytime" not in result.tag_names


def test_a_person_holding_nothing_is_not_a_fish(photo_analysis):
    # ImageNet's "tench" (0.42) was learnt from anglers' photos.
    result = photo_analysis("pyfeat-single-face.jpg")
    assert not said(result) & {"fish", "animal", "tench"}
    assert result.description == "A portrait of a person."


def test_a_landscape_gets_its_scene(photo_analysis):
    result = photo_analysis("gcompris-horse.jpg")
    assert {"sky", "grass", "meadow", "outdoor", "landscape", "daytime"} <= set(result.tag_names)
    # White clouds drift across its blue sky (the label accepts "cloud").
    assert "clouds" in result.tag_names
    assert result.description.endswith("under a cloudy sky.")


def test_when_unsure_it_says_less(photo_analysis):
    # A dim room (a drum, wine, a bean bag): no model is sure of anything; only colours.
    result = photo_analysis("lomiri-wine.jpg")
    assert {t.source for t in result.tags} == {"colour"}
    assert result.description.startswith("A photo in ")


@pytest.mark.parametrize(
    "name", ["mate-blinds.jpg", "opencv-butterfly.jpg", "gcompris-neuschwanstein.jpg"]
)
def test_green_below_is_not_grass_without_a_second_cue(photo_analysis, name):
    # A leaf filling the frame, a butterfly on leaves, a forest below a castle.
    result = photo_analysis(name)
    assert not {"grass", "meadow", "field"} & set(result.tag_names)
    assert "grass" not in result.description


def test_a_duck_is_not_a_goose(photo_analysis):
    # A white duck is 0.88 "goose" to ImageNet, whose only duck class is the drake.
    result = photo_analysis("holdout/gcompris-duck.jpg")
    assert not said(result) & {"goose", "geese", "swan"}
    assert {"bird", "waterfowl", "animal"} <= set(result.tag_names)


def test_a_floodlit_memorial_at_dusk_is_not_daytime(photo_analysis):
    # Yellow floodlights on white marble under a deep blue sky (no EXIF to ask).
    result = photo_analysis("holdout/gcompris-lincoln-memorial.jpg")
    assert "daytime" not in result.tag_names
    assert {"building", "outdoor"} <= set(result.tag_names)


def test_a_sunlit_monument_is_still_daytime(photo_analysis):
    result = photo_analysis("gcompris-colosseum.jpg")
    assert {"daytime", "blue sky"} <= set(result.tag_names)


def test_a_childs_bicycle_is_a_vehicle_not_a_motorcycle(photo_analysis):
    # ImageNet: moped 0.67, tricycle 0.12; the skimage motorcycle is still a motorcycle
    # (test_offline_photos).
    result = photo_analysis("holdout2/jigzo-bike.jpg")
    assert not said(result) & {"motorcycle", "scooter", "moped"}
    assert "vehicle" in result.tag_names


def test_a_cheetah_is_not_a_leopard(photo_analysis):
    result = photo_analysis("holdout2/gcompris-cheetah.jpg")
    assert "leopard" not in said(result)
    assert {"cheetah", "big cat", "wildlife", "animal"} <= set(result.tag_names)


def test_a_bird_imagenet_has_no_class_for_is_still_a_bird(photo_analysis):
    # A kookaburra: kite 0.19, bald eagle 0.11, bustard 0.08, vulture 0.08... 0.65 bird.
    result = photo_analysis("holdout2/jigzo-kookaburra.jpg")
    assert {"bird", "animal", "wildlife"} <= set(result.tag_names)
    assert not said(result) & {"eagle", "kite", "vulture", "owl"}


def test_a_hen_is_a_farm_animal_not_wildlife(photo_analysis):
    result = photo_analysis("gcompris-chicken.jpg")
    assert {"chicken", "bird", "farm animal"} <= set(result.tag_names)
    assert "wildlife" not in result.tag_names


def test_grey_rock_behind_an_animal_is_no_overcast_sky(photo_analysis):
    # A crab on pale grey rock that fills the top of the frame.
    result = photo_analysis("holdout2/gcompris-crab.jpg")
    assert not {"sky", "clouds"} & set(result.tag_names)
    assert {"crab", "animal"} <= set(result.tag_names)


def test_a_bird_before_a_soft_background_is_not_macro(photo_analysis):
    # A heron in flight, shot with a long lens: a close view, but no macro shot.
    result = photo_analysis("holdout2/gcompris-heron.jpg")
    assert "bird" in result.tag_names and "macro" not in result.tag_names


def test_a_smile_is_read_from_the_mouth(photo_analysis):
    # The mouth's width and its corners' lift, on the face mesh of each confirmed face.
    assert "smile" in photo_analysis("pyfeat-single-face.jpg").tag_names
    assert "smile" not in photo_analysis("matplotlib-grace-hopper.jpg").tag_names
    # No face, no smile: a smile is never guessed from the scene.
    assert "smile" not in photo_analysis("opencv-apple.jpg").tag_names


def test_a_famous_landmark_is_travel(photo_analysis):
    result = photo_analysis("gcompris-eiffel-tower.jpg")
    assert {"landmark", "travel"} <= set(result.tag_names)


def test_clouds_breaking_the_blue_make_a_sky_looking_up(photo_analysis):
    # A kite against a cloudy sky: no horizon and no scene class, but the white clouds
    # break the blue unevenly across its rows, which no wall or backdrop does.
    assert {"sky", "outdoor", "daytime"} <= set(photo_analysis("plasma-kite.jpg").tag_names)


def test_night_alone_is_no_outdoors(photo_analysis):
    # Two people toasting in a dark bar, late by the camera's clock.
    result = photo_analysis("holdout3/kpa-bar55-2.jpg")
    assert "night" in result.tag_names
    assert not said(result) & {"outdoor", "outdoors", "sky"}


def test_a_jellyfish_without_a_sky_is_not_said_to_be_outdoors(photo_analysis):
    # Sea creatures are photographed through an aquarium's glass as often as in the sea.
    result = photo_analysis("holdout3/tuxpaint-jellyfish.jpg")
    assert "jellyfish" in result.tag_names
    assert "outdoor" not in result.tag_names


def test_a_sunlit_vaulted_ruin_is_not_indoors(photo_analysis):
    # ImageNet sees a vaulted ceiling (0.6); the EXIF exposure (EV 13.6) is the sun's.
    assert "indoor" not in photo_analysis("holdout3/kivy-wall.jpg").tag_names


def test_green_under_a_flash_is_no_grass(photo_analysis):
    # A cat asleep by a mug on a green desk, lit by the flash at 8 pm.
    result = photo_analysis("holdout3/kivy-faust-github.jpg")
    assert not said(result) & {"grass", "outdoor", "meadow"}


def test_a_motorbike_is_no_scooter(photo_analysis):
    # ImageNet has no motorcycle class: it calls a motorbike "moped" or "motor scooter".
    result = photo_analysis("holdout3/skimage-motorcycle.jpg")
    assert "motorcycle" in result.tag_names
    assert not said(result) & {"scooter", "moped"}


def test_a_motorbike_in_a_garage_is_not_said_to_be_outdoors(photo_analysis):
    # A bike or motorbike is kept indoors as often as it is ridden outside: with no sky
    # and no open ground, the vehicle alone says nothing of where it stands.
    result = photo_analysis("holdout3/skimage-motorcycle.jpg")
    assert not said(result) & {"outdoor", "outdoors", "daytime", "street", "road"}
    assert result.description == "A motorcycle."


@pytest.mark.parametrize(
    ("name", "animal"),
    [("holdout3/kpa-donna.jpg", "dog"), ("holdout3/caer-black-cat.jpg", "cat")],
)
def test_a_pet_split_between_breeds_is_still_named(photo_analysis, name, animal):
    # A black Labrador is 0.24 Kelpie, 0.11 Schipperke, 0.09 Labrador...: 0.75 dog.
    assert {animal, "pet", "mammal"} <= set(photo_analysis(name).tag_names)


def test_a_goat_spread_over_dog_breeds_is_no_dog(photo_analysis):
    # 0.62 over dog breeds, the strongest 0.19: short of a sure group.
    assert not said(photo_analysis("holdout/gcompris-goat.jpg")) & {"dog", "pet"}


def test_a_pickup_in_an_orchard_is_one_truck_off_the_street(photo_analysis):
    # ImageNet's "pickup truck" was listed under both car and truck: "A car with a truck".
    result = photo_analysis("holdout4/gimp-blue-truck.jpg")
    assert {"truck", "pickup truck", "vehicle"} <= set(result.tag_names)
    assert not said(result) & {"car", "street"}


def test_a_beach_is_not_said_to_be_on_sand(photo_analysis):
    result = photo_analysis("holdout4/scratch-beach-malibu.jpg")
    assert {"beach", "sand", "sea"} <= set(result.tag_names)
    assert result.description == "A beach by the sea under a blue sky."


def test_parking_signs_are_no_truck(photo_analysis):
    # 0.32 "semi-trailer truck" on EXIT/ENTER signs: a vehicle needs one sure class.
    result = photo_analysis("holdout4/scratch-parking-ramp.jpg")
    assert "text" in result.tag_names
    assert not said(result) & {"vehicle", "truck"}


def test_a_truck_split_between_truck_classes_is_still_a_truck(photo_analysis):
    # 0.37 moving van, 0.29 garbage truck: no class reaches 0.4, but the trucks hold 0.72.
    result = photo_analysis("holdout5/labelme-street-truck.jpg")
    assert {"truck", "vehicle", "outdoor"} <= set(result.tag_names)
    assert result.description == "A truck."


def test_a_sunlit_highway_is_under_a_sky_not_a_close_up(photo_analysis):
    # The sky and the road are both smooth, as a blurred surround is; EXIF's EV 15.6 says
    # sunlight, which no backdrop indoors gets.
    result = photo_analysis("holdout5/sigal-highway.jpg")
    assert {"sky", "blue sky", "outdoor"} <= set(result.tag_names)
    assert "close-up" not in result.tag_names


def test_broccoli_on_a_plate_is_no_grass(photo_analysis):
    # No single food class is sure (broccoli 0.27), but together they hold ~0.6.
    result = photo_analysis("holdout5/scribus-shrimp-broccoli.jpg")
    assert not said(result) & {"grass", "outdoor", "outdoors", "nature", "daytime"}


def test_a_face_filling_the_frame_is_a_close_up_and_a_wider_portrait_is_not(photo_analysis):
    assert "close-up" in photo_analysis("holdout3/kpa-jesper.jpg").tag_names  # face: 100 %
    assert "close-up" not in photo_analysis("matplotlib-grace-hopper.jpg").tag_names  # 33 %
