"""The user's own dots: a CSV of x, y, label, with one-line errors naming the file and the line."""
import numpy as np
import pytest

from mathdl.data.points import parse_points, read_points
from mathdl.base.errors import DataError


def write(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_points_as_columns_with_a_header_and_numeric_labels_in_order(tmp_path):
    X, labels, classes = read_points(write(tmp_path, "x,y,label\n0.5,1,1\n2,-3,0\n\n4,5e-1,1\n1,1,0\n"))
    np.testing.assert_array_equal(X, [[0.5, 2, 4, 1], [1, -3, 0.5, 1]])
    assert classes == ["0", "1"]
    np.testing.assert_array_equal(labels, [1, 0, 1, 0])


def test_text_labels_are_numbered_in_order_of_appearance_and_may_be_many(tmp_path):
    X, labels, classes = read_points(write(tmp_path, "1,1,red\n2,2,blue\n3,3,green\n4, 4 , red \n5,5,blue\n6,6,green\n"))
    assert classes == ["red", "blue", "green"]
    np.testing.assert_array_equal(labels, [0, 1, 2, 0, 1, 2])
    assert X.shape == (2, 6)


BAD = [
    ("1,2,0\n3,4\n", "points.csv line 2: expected 3 values (x, y, label), got 2"),
    ("1,2,0\n3,4,1,9\n", "points.csv line 2: expected 3 values (x, y, label), got 4"),
    ("x,y,label\n1,2,0\nabc,4,1\n", "points.csv line 3: x 'abc' is not a number"),
    ("1,2,0\n3,nan,1\n", "points.csv line 2: y 'nan' is not a finite number"),
    ("1,2,0\n3,4,\n", "points.csv line 2: the label is empty"),
    ("1,2,0\n3,4,0\n", "every point has the label '0'; need at least two classes"),
    ("1,2,0\n3,4,0\n5,6,1\n", "class '1' has only one point"),
    ("", "no points"),
    ("x,y,label\n", "no points"),
    ("".join(f"{i},{i},{i % 11}\n" for i in range(22)), "11 classes; at most 10 are supported"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m for _, m in BAD])
def test_malformed_files_are_one_line_errors_naming_file_and_line(tmp_path, text, message):
    with pytest.raises(DataError) as error:
        read_points(write(tmp_path, text))
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith(str(tmp_path / "points.csv"))


def test_missing_directory_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_points(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_points(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        read_points(tmp_path / "bin.csv")


def test_a_first_row_with_one_number_is_data_not_a_header(tmp_path):
    with pytest.raises(DataError, match="points.csv line 1: x 'oops' is not a number"):
        read_points(write(tmp_path, "oops,2,0\n1,2,0\n3,4,0\n5,6,1\n7,8,1\n"))


def test_ten_classes_are_allowed():
    X, labels, classes = parse_points("".join(f"{i},{i},{i % 10}\n" for i in range(20)))
    assert classes == [str(c) for c in range(10)] and X.shape == (2, 20)
    np.testing.assert_array_equal(labels, np.arange(20) % 10)


def test_integer_labels_are_ordered_as_numbers_not_as_text():
    X, labels, classes = parse_points("0,0,10\n1,1,2\n2,2,-1\n3,3,10\n4,4,2\n5,5,-1\n")
    assert classes == ["-1", "2", "10"]
    np.testing.assert_array_equal(labels, [2, 1, 0, 2, 1, 0])


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_infinite_coordinates_are_errors(tmp_path, value):
    with pytest.raises(DataError, match=f"points.csv line 2: y '{value}' is not a finite number"):
        read_points(write(tmp_path, f"1,2,0\n3,{value},1\n5,6,0\n7,8,1\n"))
